import { RankerTriple } from './suite-result';
import { SectionContext, pick } from './section';
import { round } from './percentiles';

/** The full ranker's name in the quality bench (its default profile). */
const NOWCAST = 'full:balanced';

/**
 * quality.*: bench/quality.bench.ts (its team's): the LiveRec availability-aware next-watch protocol
 * on a simulator log (1M events; fewer with --quick), HR@10 and NDCG@10 over all targets and HR@10
 * over new (non-repeat) targets, for the full ranker ("nowcast"), POP and REP. Fractions 0..1.
 */
export async function qualitySection(ctx: SectionContext): Promise<void> {
  const o = ctx.options;
  const args = ['--events', String(o.qualityEvents)];
  ctx.progress(`quality on ${o.qualityEvents.toLocaleString('en-US')} events`);
  const bench = await import('../quality.bench');
  const figures = await bench.run(args);
  // the bench reports percentages
  const of = (ranker: string, field: string) => round((pick(figures, 'hr10', ranker, field) ?? NaN) / 100, 4);
  const triple = (field: string): RankerTriple => ({
    nowcast: of(NOWCAST, field),
    pop: of('pop', field),
    rep: of('rep', field),
  });
  ctx.result.quality = { hr10: triple('all'), ndcg10: triple('ndcg10'), hr10New: triple('new') };
  ctx.details.quality = { args, figures };
  if (o.qualityEvents < 1_000_000)
    ctx.notes.push(
      `quality: ${o.qualityEvents.toLocaleString('en-US')} events, below the 1M of the target protocol`,
    );
}
