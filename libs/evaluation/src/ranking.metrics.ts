/** Cut-offs reported for hit rate. */
export const HIT_CUTOFFS = [1, 5, 10] as const;

export interface RankingMetrics {
  /** Evaluation points counted. */
  count: number;
  hr1: number;
  hr5: number;
  hr10: number;
  ndcg10: number;
  /** Mean reciprocal rank (unranked targets count 0). */
  mrr: number;
}

/**
 * Accumulates ranks (1-based; null = target not ranked) into HR@k and NDCG@10. With one relevant
 * item per point, IDCG = 1 and NDCG@10 = 1 / log2(rank + 1) when rank <= 10, else 0.
 */
export class RankingMetricsAccumulator {
  private count = 0;
  private hits = [0, 0, 0];
  private ndcg = 0;
  private rr = 0;

  add(rank: number | null): void {
    this.count++;
    if (rank === null) return;
    HIT_CUTOFFS.forEach((k, i) => {
      if (rank <= k) this.hits[i]++;
    });
    if (rank <= 10) this.ndcg += 1 / Math.log2(rank + 1);
    this.rr += 1 / rank;
  }

  result(): RankingMetrics {
    const n = this.count;
    const ratio = (x: number) => (n === 0 ? 0 : x / n);
    return {
      count: n,
      hr1: ratio(this.hits[0]),
      hr5: ratio(this.hits[1]),
      hr10: ratio(this.hits[2]),
      ndcg10: ratio(this.ndcg),
      mrr: ratio(this.rr),
    };
  }
}
