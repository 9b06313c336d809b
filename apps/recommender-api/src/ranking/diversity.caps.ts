import { DedupedCandidates } from './candidate.dedupe';
import { IndexHeap } from './index.heap';
import { LIVE_ROW_STRIDE, ROW_CATEGORY_KEY, ROW_SELLER_KEY } from './live-features';
import { LiveIndex, RankingProfile } from './ranking.types';
import { StampedCounts } from './stamped.counts';

// Scratch of applyCaps (one synchronous pass at a time): counts per seller and category key.
const SELLER_COUNTS = new StampedCounts();
const CATEGORY_COUNTS = new StampedCounts(64);

/**
 * The page, greedy in score order (the heap's): at most maxPerSeller / maxPerCategory items per
 * page; an item skipped by a cap is not lost (it can lead the next page). Counted by the
 * LiveIndex's seller and category keys where there are some (stamped typed arrays), else by string:
 * a keyed candidate's from `gathered` (its row copied at index * LIVE_ROW_STRIDE, rankPage's
 * gatherRows), so the candidate object is not read.
 */
export function applyCaps(
  order: IndexHeap,
  { candidates, keys }: DedupedCandidates,
  gathered: Float64Array | undefined,
  caps: RankingProfile['caps'],
  limit: number,
  live: LiveIndex | undefined,
): number[] {
  const out: number[] = [];
  SELLER_COUNTS.reset();
  CATEGORY_COUNTS.reset();
  let perSeller: Map<string, number> | undefined;
  let perCategory: Map<string, number> | undefined;
  while (out.length < limit && order.size > 0) {
    const c = order.pop();
    let sellerKey = -1;
    let categoryKey = -1;
    if (live !== undefined) {
      if (keys[c] >= 0) {
        // the gathered row: the candidate object is not read
        sellerKey = gathered![c * LIVE_ROW_STRIDE + ROW_SELLER_KEY];
        categoryKey = gathered![c * LIVE_ROW_STRIDE + ROW_CATEGORY_KEY];
      } else {
        const key = candidates[c].key;
        const o = key === undefined ? -1 : key * LIVE_ROW_STRIDE;
        sellerKey = o >= 0 ? live.rows[o + ROW_SELLER_KEY] : live.sellerKey(candidates[c].sellerId);
        categoryKey = o >= 0 ? live.rows[o + ROW_CATEGORY_KEY] : live.categoryKey(candidates[c].category);
      }
    }
    const s =
      sellerKey >= 0
        ? SELLER_COUNTS.get(sellerKey)
        : ((perSeller ??= new Map<string, number>()).get(candidates[c].sellerId) ?? 0);
    const k =
      categoryKey >= 0
        ? CATEGORY_COUNTS.get(categoryKey)
        : ((perCategory ??= new Map<string, number>()).get(candidates[c].category) ?? 0);
    if (s >= caps.maxPerSeller || k >= caps.maxPerCategory) continue;
    if (sellerKey >= 0) SELLER_COUNTS.set(sellerKey, s + 1);
    else perSeller!.set(candidates[c].sellerId, s + 1);
    if (categoryKey >= 0) CATEGORY_COUNTS.set(categoryKey, k + 1);
    else perCategory!.set(candidates[c].category, k + 1);
    out.push(c);
  }
  return out;
}
