import { NowcastEvent } from '@app/contracts';
import { PopularityRanker, RepeatRanker, evaluateRankers } from '@app/evaluation';
import { MarketplaceSimulator } from '@app/simulator';
import { EmbeddingsRanker } from '../apps/embedding-writer/src/evaluation/embeddings.ranker';

/**
 * Offline recommendation quality (LiveRec availability-aware next-watch protocol) of POP, REP and
 * the writer's embeddings, on a simulator log generated in simulated time:
 *   npm run bench -- evaluate [--events 1000000] [--seed 1] [--warmup 0.1]
 * Same figures as `npm run evaluate -- --simulate --events N --seed S`, plus wall time.
 */
function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

function* simulated(events: number, seed: number): Generator<NowcastEvent> {
  const simulator = new MarketplaceSimulator({ seed, startTimeMs: Date.UTC(2026, 0, 1) });
  for (let i = 0; i < events; i++) yield simulator.next();
}

const pct = (x: number) => Math.round(x * 10_000) / 100;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const events = Number(arg(args, 'events', '1000000'));
  const seed = Number(arg(args, 'seed', '1'));
  const warmup = Number(arg(args, 'warmup', '0.1'));
  const started = performance.now();
  const report = await evaluateRankers(
    simulated(events, seed),
    [new PopularityRanker(), new RepeatRanker(), new EmbeddingsRanker()],
    { warmupEvents: warmup < 1 ? Math.floor(events * warmup) : warmup },
  );
  const rankers: Record<string, unknown> = {};
  for (const r of report.rankers) {
    rankers[r.ranker] = {
      hr10: pct(r.all.hr10),
      hr10New: pct(r.new.hr10),
      hr10Repeat: pct(r.repeat.hr10),
      ndcg10: pct(r.all.ndcg10),
      hr1: pct(r.all.hr1),
      rankUsPerPoint: Math.round((r.rankMs * 1000) / Math.max(1, report.points)),
    };
  }
  return {
    events: report.events,
    seed,
    points: report.points,
    repeatPoints: report.rankers[0]?.repeat.count ?? 0,
    newPoints: report.rankers[0]?.new.count ?? 0,
    meanLiveCandidates: Math.round(report.meanCandidates * 10) / 10,
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    percent: rankers,
  };
}
