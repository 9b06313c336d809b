import { NowcastEvent } from '@app/contracts';
import { PopularityRanker, RepeatRanker, evaluateRankers } from '@app/evaluation';
import { MarketplaceSimulator } from '@app/simulator';
import { EmbeddingsRanker } from '../apps/embedding-writer/src/evaluation/embeddings.ranker';
import { FullRanker } from '../apps/recommender-api/src/ranking/evaluation/full.ranker';
import { rankingProfile } from '../apps/recommender-api/src/ranking/ranking-profiles';

/**
 * Recommendation quality, LiveRec availability-aware next-watch protocol (issue 8 target: the full
 * ranker beats POP and REP on HR@10 over all targets AND over new ones):
 *   npm run bench -- quality [--events 1000000] [--seed 1] [--warmup 0.1] [--profiles balanced,discovery]
 * The full ranker is the recommender's RankingService with the named profile(s), fed the same
 * replayed events; its similarity comes from the writer's embedding model (EmbeddingsRanker)
 * observing the same events.
 */
function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

function* simulated(events: number, seed: number): Generator<NowcastEvent> {
  const simulator = new MarketplaceSimulator({ seed, startTimeMs: Date.UTC(2026, 0, 1), ratePerSec: 200 });
  for (let i = 0; i < events; i++) yield simulator.next();
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const events = Number(arg(args, 'events', '1000000'));
  const seed = Number(arg(args, 'seed', '1'));
  const warmupShare = Number(arg(args, 'warmup', '0.1'));
  const profiles = arg(args, 'profiles', 'balanced').split(',');
  const embeddings = new EmbeddingsRanker();
  const similarity = (userId: string, streamId: string): number | undefined => {
    const user = embeddings.model.users.vectorOf(userId);
    const stream = user ? embeddings.model.streamVector(streamId) : undefined;
    if (!user || !stream) return undefined;
    let dot = 0;
    for (let i = 0; i < user.length; i++) dot += user[i] * stream[i];
    return dot;
  };
  const caps = { maxPerSeller: Infinity, maxPerCategory: Infinity };
  const full = profiles.map((name) => new FullRanker({ profile: rankingProfile(name, caps), similarity }));
  const t0 = Date.now();
  const report = await evaluateRankers(
    simulated(events, seed),
    [new PopularityRanker(), new RepeatRanker(), embeddings, ...full],
    {
      warmupEvents: Math.floor(events * warmupShare),
    },
  );
  const pct = (x: number) => Math.round(x * 10_000) / 100;
  return {
    events: report.events,
    points: report.points,
    meanLiveCandidates: Math.round(report.meanCandidates * 10) / 10,
    elapsedSec: Math.round((Date.now() - t0) / 1000),
    hr10: Object.fromEntries(
      report.rankers.map((r) => [
        r.ranker,
        { all: pct(r.all.hr10), repeat: pct(r.repeat.hr10), new: pct(r.new.hr10), ndcg10: pct(r.all.ndcg10) },
      ]),
    ),
    targets: { repeat: report.rankers[0]?.repeat.count ?? 0, new: report.rankers[0]?.new.count ?? 0 },
  };
}
