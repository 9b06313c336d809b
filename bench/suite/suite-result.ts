import { cpus } from 'node:os';

export type SuiteMode = 'mesh' | 'embedded';
type N = number | null;
export interface RankerTriple {
  nowcast: N;
  pop: N;
  rep: N;
}

/**
 * What `npm run bench -- --out <file>` writes: exactly the keys of issue 10 (latencies in ms,
 * rates in events or requests per second, quality as fractions 0..1). null = not measured in
 * this mode, or the section failed (the runner prints why).
 */
export interface SuiteResult {
  mode: SuiteMode;
  machine: { cpus: number; node: string };
  ingest: { eventsPerSec: N };
  services: { enricher: N; aggregator: N; writer: N };
  dataLatency: { p50: N; p99: N; atEventsPerSec: N };
  endToGone: { p50: N; p99: N };
  feed: { rps: N; p50: N; p99: N; concurrency: N; liveStreams: N; users: N };
  recallAt10: { min: N; bySelectivity: { '0.001': N; '0.01': N; '0.1': N; '1': N } };
  quality: { hr10: RankerTriple; ndcg10: RankerTriple; hr10New: RankerTriple };
}

const triple = (): RankerTriple => ({ nowcast: null, pop: null, rep: null });

export function emptyResult(mode: SuiteMode): SuiteResult {
  return {
    mode,
    machine: { cpus: cpus().length, node: process.version },
    ingest: { eventsPerSec: null },
    services: { enricher: null, aggregator: null, writer: null },
    dataLatency: { p50: null, p99: null, atEventsPerSec: null },
    endToGone: { p50: null, p99: null },
    feed: { rps: null, p50: null, p99: null, concurrency: null, liveStreams: null, users: null },
    recallAt10: { min: null, bySelectivity: { '0.001': null, '0.01': null, '0.1': null, '1': null } },
    quality: { hr10: triple(), ndcg10: triple(), hr10New: triple() },
  };
}

/** Dotted paths of every leaf of `value` ("quality.hr10.nowcast"), in key order. */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => leafPaths(inner, prefix ? `${prefix}.${key}` : key));
}

/** The figure at a dotted path, or undefined. */
export function at(result: SuiteResult, path: string): unknown {
  let node: unknown = result;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export interface TargetRow {
  figure: string;
  value: N;
  target: string;
  /** null = not measured, or no target for this figure */
  pass: boolean | null;
}

const num = (x: unknown): N => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Each figure with its target (issue 10) and pass/fail; figures without a target get pass null. */
export function judge(r: SuiteResult): TargetRow[] {
  const min = (figure: string, value: N, target: number, unit: string): TargetRow => ({
    figure,
    value,
    target: `>= ${target.toLocaleString('en-US')} ${unit}`.trim(),
    pass: value === null ? null : value >= target,
  });
  const max = (figure: string, value: N, target: number, unit: string): TargetRow => ({
    figure,
    value,
    target: `<= ${target} ${unit}`.trim(),
    pass: value === null ? null : value <= target,
  });
  const info = (figure: string, value: N): TargetRow => ({ figure, value, target: '', pass: null });
  const beats = (figure: string, t: RankerTriple): TargetRow => {
    const baselines = [t.pop, t.rep].filter((x): x is number => x !== null);
    return {
      figure,
      value: t.nowcast,
      target: `> POP ${t.pop ?? '-'}, REP ${t.rep ?? '-'}`,
      pass: t.nowcast === null || baselines.length < 2 ? null : t.nowcast > Math.max(...baselines),
    };
  };
  return [
    min('ingest.eventsPerSec', r.ingest.eventsPerSec, 20_000, 'ev/s'),
    min('services.enricher', r.services.enricher, 30_000, 'ev/s'),
    min('services.aggregator', r.services.aggregator, 30_000, 'ev/s'),
    min('services.writer', r.services.writer, 30_000, 'ev/s'),
    max('dataLatency.p50', r.dataLatency.p50, 15, 'ms'),
    max('dataLatency.p99', r.dataLatency.p99, 50, 'ms'),
    info('dataLatency.atEventsPerSec', r.dataLatency.atEventsPerSec),
    info('endToGone.p50', r.endToGone.p50),
    max('endToGone.p99', r.endToGone.p99, 100, 'ms'),
    min('feed.rps', r.feed.rps, 3_000, 'req/s'),
    info('feed.p50', r.feed.p50),
    max('feed.p99', r.feed.p99, 20, 'ms'),
    min('recallAt10.min', r.recallAt10.min, 0.99, ''),
    ...(['0.001', '0.01', '0.1', '1'] as const).map((s) =>
      min(`recallAt10.bySelectivity.${s}`, r.recallAt10.bySelectivity[s], 0.99, ''),
    ),
    beats('quality.hr10', r.quality.hr10),
    beats('quality.hr10New', r.quality.hr10New),
    info('quality.ndcg10.nowcast', r.quality.ndcg10.nowcast),
  ].map((row) => ({ ...row, value: num(row.value) }));
}

/** The rows as aligned text: figure, value, target, PASS/FAIL/-. */
export function formatTable(rows: readonly TargetRow[], judged: boolean): string {
  const cells = rows.map((row) => [
    row.figure,
    row.value === null ? 'n/a' : row.value.toLocaleString('en-US', { maximumFractionDigits: 4 }),
    row.target,
    row.pass === null ? '-' : row.pass ? 'PASS' : judged ? 'FAIL' : 'below',
  ]);
  const header = ['figure', 'value', 'target', judged ? 'pass' : 'vs target (info)'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c.map((x, i) => (i === 1 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
