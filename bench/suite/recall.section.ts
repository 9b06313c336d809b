import { SectionContext, pick } from './section';

/** Selectivity (share of points the filter keeps) -> the vector-search bench's case name. */
const CASES = {
  '0.001': 'indexed 0.1%',
  '0.01': 'indexed 1%',
  '0.1': 'indexed 10%',
  '1': 'indexed 100%',
} as const;
const MODE = 'planner (auto threshold)';
const SIZE = 10_000;

/**
 * recallAt10: bench/vector-search.bench.ts (its team's) over 10k clustered 128-d points: filtered
 * search as the feed runs it (the planner: exact below its threshold, HNSW above) vs brute force,
 * recall@10 at each selectivity; min over them.
 */
export async function recallSection(ctx: SectionContext): Promise<void> {
  const o = ctx.options;
  const args = [
    '--sizes',
    String(SIZE),
    '--queries',
    o.quick ? '100' : '300',
    '--recall-queries',
    o.quick ? '50' : '200',
  ];
  ctx.progress(`vector-search (${args.join(' ')})`);
  const bench = await import('../vector-search.bench');
  const figures = await bench.run(args);
  const queries = (figures[`${SIZE} points`] as Record<string, unknown> | undefined)?.[MODE];
  const by = ctx.result.recallAt10.bySelectivity;
  for (const [selectivity, name] of Object.entries(CASES) as [keyof typeof CASES, string][])
    by[selectivity] = pick(queries, 'queries', name, 'recallAt10') ?? null;
  const values = Object.values(by).filter((x): x is number => x !== null);
  ctx.result.recallAt10.min = values.length === 4 ? Math.min(...values) : null;
  ctx.details.recall = { args, mode: MODE, figures };
}
