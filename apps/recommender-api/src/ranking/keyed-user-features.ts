import { grownFloat64, grownInt32 } from './typed-arrays';
import { LiveIndex, ShownRecord, UserSignals } from './ranking.types';

/** The seller features of one user (repeat, follow), each in [0, 1]. */
export interface SellerFeatures {
  repeat: number;
  follow: number;
}

/**
 * One user's seller, category and impression features projected on a LiveIndex's keys, for one
 * rankPage call: a keyed candidate reads them by its row's seller and category keys and its own
 * key (typed arrays) instead of three string-keyed Map lookups. The arrays are stamped with a
 * generation, so a call clears nothing and allocates nothing (they only grow); a key not stamped
 * in this generation has what the string path gives a seller, category or stream the user has
 * nothing of: 0. The values are computed by the same functions as the string path's, once per
 * user entry instead of once per candidate.
 */
export class KeyedUserFeatures {
  private generation = 0;
  private sellerStamp = new Int32Array(256);
  private sellerRepeat = new Float64Array(256);
  private sellerFollow = new Float64Array(256);
  private categoryStamp = new Int32Array(64);
  private categoryValue = new Float64Array(64);
  private streamStamp = new Int32Array(1024);
  private streamPenalty = new Float64Array(1024);

  /**
   * Starts a new generation (the previous call's values are gone): `sellers` as rankPage computed
   * them, each category's `weight / maxCategory` (0 when maxCategory is 0), each shown stream's
   * `penalty(record)`.
   */
  load(
    live: LiveIndex,
    user: UserSignals,
    sellers: ReadonlyMap<string, SellerFeatures>,
    maxCategory: number,
    penalty: (shown: ShownRecord) => number,
  ): void {
    if (++this.generation === 0x7fffffff) {
      this.sellerStamp.fill(0);
      this.categoryStamp.fill(0);
      this.streamStamp.fill(0);
      this.generation = 1;
    }
    const g = this.generation;
    for (const [sellerId, features] of sellers) {
      const k = live.sellerKey(sellerId);
      if (k < 0) continue;
      if (k >= this.sellerStamp.length) this.growSellers(k + 1);
      this.sellerStamp[k] = g;
      this.sellerRepeat[k] = features.repeat;
      this.sellerFollow[k] = features.follow;
    }
    if (maxCategory > 0) {
      for (const [category, weight] of user.categoryWeights) {
        const k = live.categoryKey(category);
        if (k < 0) continue;
        if (k >= this.categoryStamp.length) this.growCategories(k + 1);
        this.categoryStamp[k] = g;
        this.categoryValue[k] = weight / maxCategory;
      }
    }
    for (const [streamId, record] of user.shown) {
      const k = live.streamKey(streamId);
      if (k < 0) continue;
      if (k >= this.streamStamp.length) this.growStreams(k + 1);
      this.streamStamp[k] = g;
      this.streamPenalty[k] = penalty(record);
    }
  }

  repeat(sellerKey: number): number {
    return sellerKey < this.sellerStamp.length && this.sellerStamp[sellerKey] === this.generation
      ? this.sellerRepeat[sellerKey]
      : 0;
  }

  follow(sellerKey: number): number {
    return sellerKey < this.sellerStamp.length && this.sellerStamp[sellerKey] === this.generation
      ? this.sellerFollow[sellerKey]
      : 0;
  }

  /** The category feature (weight / maxCategory), 0 for a category the user has no weight in. */
  category(categoryKey: number): number {
    return categoryKey < this.categoryStamp.length && this.categoryStamp[categoryKey] === this.generation
      ? this.categoryValue[categoryKey]
      : 0;
  }

  /** The shown-and-ignored penalty of a stream, 0 for one never shown to the user. */
  penalty(streamKey: number): number {
    return streamKey < this.streamStamp.length && this.streamStamp[streamKey] === this.generation
      ? this.streamPenalty[streamKey]
      : 0;
  }

  private growSellers(n: number): void {
    const size = Math.max(n, 2 * this.sellerStamp.length);
    this.sellerStamp = grownInt32(this.sellerStamp, size);
    this.sellerRepeat = grownFloat64(this.sellerRepeat, size);
    this.sellerFollow = grownFloat64(this.sellerFollow, size);
  }

  private growCategories(n: number): void {
    const size = Math.max(n, 2 * this.categoryStamp.length);
    this.categoryStamp = grownInt32(this.categoryStamp, size);
    this.categoryValue = grownFloat64(this.categoryValue, size);
  }

  private growStreams(n: number): void {
    const size = Math.max(n, 2 * this.streamStamp.length);
    this.streamStamp = grownInt32(this.streamStamp, size);
    this.streamPenalty = grownFloat64(this.streamPenalty, size);
  }
}
