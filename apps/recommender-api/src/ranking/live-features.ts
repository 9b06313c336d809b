import { LiveFeatures, LiveSignals } from './ranking.types';

const LOG1P_1000 = Math.log1p(1000);
/** x / (x + half): 0.5 at `half`, saturating towards 1. */
const saturate = (x: number, half: number): number => (x <= 0 ? 0 : x / (x + half));

/**
 * The ranker's metric features of a stream (viewers, velocity, bids, chats, gmv), each in [0, 1]:
 * log-scaled viewers (1 at 1,000), tanh of the viewer velocity per minute (0.76 at +20/min), and
 * rates that are half-saturated at 5 bids, 20 chats and 200 GMV units per minute.
 */
export function liveFeaturesOf(m: LiveSignals): LiveFeatures {
  return {
    viewers: Math.min(1, Math.log1p(Math.max(0, m.viewers)) / LOG1P_1000),
    velocity: Math.max(0, Math.tanh(m.viewerVelocity / 20)),
    bids: saturate(m.bidsPerMin, 5),
    chats: saturate(m.chatsPerMin, 20),
    gmv: saturate(m.gmvPerMin, 200),
  };
}

/** Features of a stream without metrics (all zero signals). */
export const NO_LIVE_FEATURES: LiveFeatures = liveFeaturesOf({
  viewers: 0,
  viewerVelocity: 0,
  bidsPerMin: 0,
  chatsPerMin: 0,
  gmvPerMin: 0,
});

/**
 * Live rows: per stream key (the metrics cache's slot), LIVE_ROW_STRIDE float64s in one array -
 * the five metric features (viewers, velocity, bids, chats, gmv), startedAt (epoch ms), then the
 * stream's seller key and category key (LiveIndex; -1: none). The ranker reads a keyed candidate's
 * numbers from its row, one contiguous 64-byte read, instead of through the candidate's feature
 * object, boxed numbers and string lookups (a chain of cache misses per candidate).
 */
export const LIVE_ROW_STRIDE = 8;
/** Offsets in a live row. */
export const ROW_STARTED_AT = 5;
export const ROW_SELLER_KEY = 6;
export const ROW_CATEGORY_KEY = 7;

/** Writes the row of `key` (`rows` must hold it). */
export function writeLiveRow(
  rows: Float64Array,
  key: number,
  f: LiveFeatures,
  startedAt: number,
  sellerKey = -1,
  categoryKey = -1,
): void {
  const o = key * LIVE_ROW_STRIDE;
  rows[o] = f.viewers;
  rows[o + 1] = f.velocity;
  rows[o + 2] = f.bids;
  rows[o + 3] = f.chats;
  rows[o + 4] = f.gmv;
  rows[o + ROW_STARTED_AT] = startedAt;
  rows[o + ROW_SELLER_KEY] = sellerKey;
  rows[o + ROW_CATEGORY_KEY] = categoryKey;
}
