import { MeshRuntime } from '@app/mesh';

export const START_MESH_HELP = `usage: npm run start:mesh -- [--simulate [events/s]] [--sink kafka|http] [--seed N]
    [--feed-rate requests/s] [--infra] [--free-ports] [--runtime dist|source] [--no-build]

Runs event-enricher, metrics-aggregator, embedding-writer and recommender-api as four processes
against KAFKA_BROKERS (default 127.0.0.1:9092) and REDIS_URL (default redis://127.0.0.1:6379),
QDRANT_URL optional; every documented variable (docs/configuration.md) is passed through.

  --simulate [N]   also run the marketplace simulator at N events/s (default 200) and simulated
                   feed visits, with a status line (events/s, live streams, data latency, feed req/s)
  --sink kafka     simulator -> the raw topic (default); --sink http: -> POST /v1/events
  --seed N         the simulated world (default 42)
  --feed-rate N    simulated feed requests per second while simulating (default 5; 0 = none)
  --infra          run \`npm run infra:up\` first (local Kafka + Redis) instead of only checking
  --free-ports     any free ports instead of the documented 3000-3003 / 50051-50054
  --runtime source run apps/*/src/main.ts through @swc-node/register (no build; slower boot)
  --no-build       run the existing bundles even if older than the sources (dist must exist)

Ctrl-C (or SIGTERM) stops every service cleanly; exits non-zero if a service dies.`;

export interface StartMeshArgs {
  help: boolean;
  /** Simulated events per second; undefined = no simulator. */
  simulateRate?: number;
  sink: 'kafka' | 'http';
  seed: number;
  feedRequestsPerSec: number;
  infra: boolean;
  freePorts: boolean;
  runtime: MeshRuntime;
  /** Rebuild stale bundles first (runtime dist). */
  build: boolean;
}

/** Default rate of `--simulate` without a number, events/s (npm start's). */
export const DEFAULT_SIMULATE_RATE = 200;

function positive(value: string | undefined, flag: string, allowZero = false): number {
  const parsed = Number(value);
  if (
    value === undefined ||
    value === '' ||
    !Number.isFinite(parsed) ||
    parsed < 0 ||
    (!allowZero && parsed === 0)
  )
    throw new Error(
      `${flag} needs a ${allowZero ? 'non-negative' : 'positive'} number, got ${value ?? 'nothing'}`,
    );
  return parsed;
}

/**
 * The flags of `npm run start:mesh`. Hand-rolled rather than util.parseArgs because `--simulate`
 * takes an optional value (`--simulate`, `--simulate 500`, `--simulate=500`).
 */
export function parseStartMeshArgs(argv: readonly string[]): StartMeshArgs {
  const args: StartMeshArgs = {
    help: false,
    sink: 'kafka',
    seed: 42,
    feedRequestsPerSec: 5,
    infra: false,
    freePorts: false,
    runtime: 'dist',
    build: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') && argv[i].includes('=') ? splitOnce(argv[i]) : [argv[i]];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--simulate': {
        const next = inline ?? argv[i + 1];
        if (inline !== undefined) args.simulateRate = positive(inline, '--simulate');
        else if (next !== undefined && !next.startsWith('-')) {
          args.simulateRate = positive(next, '--simulate');
          i++;
        } else args.simulateRate = DEFAULT_SIMULATE_RATE;
        break;
      }
      case '--sink': {
        const sink = value();
        if (sink !== 'kafka' && sink !== 'http') throw new Error(`--sink must be kafka or http, got ${sink}`);
        args.sink = sink;
        break;
      }
      case '--seed':
        args.seed = positive(value(), '--seed', true);
        break;
      case '--feed-rate':
        args.feedRequestsPerSec = positive(value(), '--feed-rate', true);
        break;
      case '--infra':
        args.infra = true;
        break;
      case '--free-ports':
        args.freePorts = true;
        break;
      case '--no-build':
        args.build = false;
        break;
      case '--runtime': {
        const runtime = value();
        if (runtime !== 'dist' && runtime !== 'source')
          throw new Error(`--runtime must be dist or source, got ${runtime}`);
        args.runtime = runtime;
        break;
      }
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}
