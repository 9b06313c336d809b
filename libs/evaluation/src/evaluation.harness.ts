import { NowcastEvent } from '@app/contracts';
import { LiveSetTracker } from './live-set.tracker';
import { Ranker } from './ranker.interface';
import { RankingMetrics, RankingMetricsAccumulator } from './ranking.metrics';

export interface EvaluationOptions {
  /** Events observed before the first evaluation point (the models learn, nothing is scored). */
  warmupEvents: number;
  /** A stream without heartbeat or engagement for this long is no longer live, ms. Default 60,000. */
  leaseMs?: number;
  /** Stop scoring after this many points (the replay goes on for nothing); default unlimited. */
  maxPoints?: number;
  /** Called every `progressEvery` events with the count so far. */
  onProgress?: (events: number) => void;
  progressEvery?: number;
}

export interface RankerReport {
  ranker: string;
  all: RankingMetrics;
  /** Targets whose seller the user had watched before. */
  repeat: RankingMetrics;
  /** Targets whose seller the user had never watched. */
  new: RankingMetrics;
  /** Wall time spent in this ranker's rank() calls, ms. */
  rankMs: number;
}

export interface EvaluationReport {
  events: number;
  points: number;
  /** view.started whose stream was not live by our tracker at that moment (not scored). */
  skipped: number;
  meanCandidates: number;
  rankers: RankerReport[];
}

interface RankerState {
  ranker: Ranker;
  all: RankingMetricsAccumulator;
  repeat: RankingMetricsAccumulator;
  new: RankingMetricsAccumulator;
  rankMs: number;
}

export const DEFAULT_LEASE_MS = 60_000;

/**
 * The availability-aware next-watch protocol of LiveRec (Rappaz, McAuley & Aberer, RecSys 2021):
 * replay in event time (events must come in non-decreasing occurredAt); at every `view.started`
 * after the warm-up, each ranker orders ONLY the streams live at that moment, and the target's
 * rank is scored (HR@1/5/10, NDCG@10), split by repeat (seller watched before) and new targets.
 * Rankers observe every event after any ranking at that event, so they never see the target.
 */
export async function evaluateRankers(
  events: AsyncIterable<NowcastEvent> | Iterable<NowcastEvent>,
  rankers: readonly Ranker[],
  options: EvaluationOptions,
): Promise<EvaluationReport> {
  const live = new LiveSetTracker(options.leaseMs ?? DEFAULT_LEASE_MS);
  const watched = new Map<string, Set<string>>();
  const states: RankerState[] = rankers.map((ranker) => ({
    ranker,
    all: new RankingMetricsAccumulator(),
    repeat: new RankingMetricsAccumulator(),
    new: new RankingMetricsAccumulator(),
    rankMs: 0,
  }));
  let count = 0;
  let points = 0;
  let skipped = 0;
  let candidateSum = 0;
  const maxPoints = options.maxPoints ?? Infinity;
  const every = options.progressEvery ?? 100_000;
  for await (const event of events) {
    count++;
    if (event.type === 'view.started' && count > options.warmupEvents && points < maxPoints) {
      const { userId, streamId } = event.data;
      const candidates = live.candidates(event.occurredAt);
      const sellerId = live.sellerOf(streamId);
      if (sellerId === undefined) skipped++;
      else {
        points++;
        candidateSum += candidates.length;
        const isRepeat = watched.get(userId)?.has(sellerId) ?? false;
        for (const state of states) {
          const started = performance.now();
          const order = state.ranker.rank(userId, candidates, event.occurredAt);
          state.rankMs += performance.now() - started;
          const index = order.indexOf(streamId);
          const rank = index < 0 ? null : index + 1;
          state.all.add(rank);
          (isRepeat ? state.repeat : state.new).add(rank);
        }
      }
    }
    if (event.type === 'view.started') {
      const sellerId = live.sellerOf(event.data.streamId);
      if (sellerId !== undefined) {
        let set = watched.get(event.data.userId);
        if (!set) watched.set(event.data.userId, (set = new Set()));
        set.add(sellerId);
      }
    }
    live.observe(event);
    for (const state of states) state.ranker.observe(event);
    if (options.onProgress && count % every === 0) options.onProgress(count);
  }
  return {
    events: count,
    points,
    skipped,
    meanCandidates: points === 0 ? 0 : candidateSum / points,
    rankers: states.map((s) => ({
      ranker: s.ranker.name,
      all: s.all.result(),
      repeat: s.repeat.result(),
      new: s.new.result(),
      rankMs: s.rankMs,
    })),
  };
}
