import { availableParallelism } from 'node:os';
import { SuiteMode } from './suite-result';

export const SECTIONS = ['services', 'ingest', 'latency', 'feed', 'recall', 'quality'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface SuiteOptions {
  mode: SuiteMode;
  quick: boolean;
  out: string | undefined;
  brokers: string[];
  redisUrl: string;
  /** 'dist' = the built bundles; 'source' = main.ts through swc; 'auto' = dist unless stale. */
  runtime: 'auto' | 'dist' | 'source';
  sections: SectionName[];
  /** Ingest trial window, s (issue: 60; 15 with --quick). */
  trialSec: number;
  /** Lag limit of a sustained rate, s. */
  maxLagSec: number;
  /** First rate of the search, events/s. */
  startRate: number;
  maxRate: number;
  maxTrials: number;
  /** Skip the search and use this as the ingest rate (for dataLatency's half-rate load). */
  ingestRate: number | undefined;
  probes: number;
  qualityEvents: number;
  /** The recommender's HTTP_WORKERS in the feed section (default: one per core, as on one host). */
  feedWorkers: number;
  /** The feed section's HTTP load generator (default wrk when installed: less CPU taken from the server). */
  feedGenerator: FeedGenerator;
  /** Extra environment for every service of the mesh (`--env K=V,...`: A/B runs of a setting). */
  env: Record<string, string>;
}

export type FeedGenerator = 'autocannon' | 'wrk';

export const USAGE = `usage: npm run bench [-- --mode mesh|embedded] [--quick] [--out file.json]
  [--brokers host:port] [--redis redis://host:port] [--runtime auto|dist|source]
  [--only services,ingest,latency,feed,recall,quality] [--trial-sec N] [--start-rate N]
  [--max-rate N] [--max-trials N] [--ingest-rate N] [--probes N] [--quality-events N]
  [--feed-workers N] [--feed-generator wrk|autocannon] [--env K=V,...]
npm run bench -- <name> [args]   one benchmark (bench/<name>.bench.ts)`;

function value(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
  return v;
}

function positive(argv: readonly string[], name: string, fallback: number): number {
  const raw = value(argv, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${name} must be a positive number: ${raw}`);
  return n;
}

const KNOWN = new Set([
  'mode',
  'quick',
  'out',
  'brokers',
  'redis',
  'runtime',
  'only',
  'trial-sec',
  'start-rate',
  'max-rate',
  'max-trials',
  'ingest-rate',
  'probes',
  'quality-events',
  'feed-workers',
  'feed-generator',
  'env',
]);

/** `K=V,K2=V2` -> { K: 'V', K2: 'V2' } (a value may hold '='; entries without one are dropped). */
export function parseServiceEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/**
 * Parses the suite's arguments; throws with the problem on anything unknown or invalid.
 * `wrkInstalled` decides the default feed generator (Debian's wrk when present, else autocannon).
 */
export function parseSuiteOptions(
  argv: readonly string[],
  wrkInstalled: () => boolean = () => false,
): SuiteOptions {
  for (const arg of argv)
    if (arg.startsWith('--') && !KNOWN.has(arg.slice(2))) throw new Error(`unknown option ${arg}`);
  const mode = value(argv, 'mode') ?? 'mesh';
  if (mode !== 'mesh' && mode !== 'embedded') throw new Error(`--mode must be mesh or embedded: ${mode}`);
  const runtime = value(argv, 'runtime') ?? 'auto';
  if (runtime !== 'auto' && runtime !== 'dist' && runtime !== 'source')
    throw new Error(`--runtime must be auto, dist or source: ${runtime}`);
  const quick = argv.includes('--quick');
  const only = value(argv, 'only');
  const sections = only ? only.split(',') : [...SECTIONS];
  for (const s of sections)
    if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only: unknown section ${s}`);
  const ingestRate = value(argv, 'ingest-rate');
  const feedGenerator = value(argv, 'feed-generator') ?? (wrkInstalled() ? 'wrk' : 'autocannon');
  if (feedGenerator !== 'wrk' && feedGenerator !== 'autocannon')
    throw new Error(`--feed-generator must be wrk or autocannon: ${feedGenerator}`);
  return {
    mode,
    quick,
    out: value(argv, 'out'),
    brokers: (value(argv, 'brokers') ?? '127.0.0.1:9092').split(','),
    redisUrl: value(argv, 'redis') ?? 'redis://127.0.0.1:6379',
    runtime,
    sections: sections as SectionName[],
    trialSec: positive(argv, 'trial-sec', quick ? 15 : 60),
    maxLagSec: 1,
    startRate: positive(argv, 'start-rate', 5_000),
    maxRate: positive(argv, 'max-rate', 80_000),
    maxTrials: positive(argv, 'max-trials', quick ? 3 : 7),
    ingestRate: ingestRate === undefined ? undefined : positive(argv, 'ingest-rate', 0),
    probes: positive(argv, 'probes', quick ? 40 : 300),
    qualityEvents: positive(argv, 'quality-events', quick ? 100_000 : 1_000_000),
    feedWorkers: Math.round(positive(argv, 'feed-workers', availableParallelism())),
    feedGenerator,
    env: parseServiceEnv(value(argv, 'env') ?? ''),
  };
}
