import { NowcastEvent } from '@app/contracts';

/** A stream live at the moment of a ranking, with what its `stream.started`/`updated` said. */
export interface LiveCandidate {
  streamId: string;
  sellerId: string;
  category: string;
  language: string;
  title: string;
  tags: readonly string[];
  /** Epoch ms. */
  startedAt: number;
}

/**
 * A recommender under evaluation. The harness calls `observe` for every event in event-time order
 * and, at an evaluation point, `rank` BEFORE observing the target event (no peeking).
 */
export interface Ranker {
  readonly name: string;
  observe(event: NowcastEvent): void;
  /**
   * Orders `candidates` (the streams live at `now`, epoch ms) best first; returns stream ids, a
   * permutation of (or a prefix of) the candidates. A candidate left out counts as unranked.
   */
  rank(userId: string, candidates: readonly LiveCandidate[], now: number): readonly string[];
}

/** Sorts candidates by descending score, ties by stream id (deterministic). */
export function orderByScore(
  candidates: readonly LiveCandidate[],
  score: (c: LiveCandidate) => number,
): string[] {
  return candidates
    .map((c) => ({ id: c.streamId, s: score(c) }))
    .sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((x) => x.id);
}
