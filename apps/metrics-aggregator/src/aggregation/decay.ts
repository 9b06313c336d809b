import { WINDOW_TAUS_MS } from './aggregator.settings';

/** Index of each decayed stream metric in the per-stream rate arrays (3 windows each). */
export const STREAM_RATES = [
  'chats',
  'bids',
  'uniqueBidders',
  'purchases',
  'gmv',
  'giveaways',
  'newViewers',
  'joins',
  'leaves',
] as const;
export type StreamRate = (typeof STREAM_RATES)[number];
export const RATE_INDEX: Record<StreamRate, number> = Object.fromEntries(
  STREAM_RATES.map((name, i) => [name, i]),
) as Record<StreamRate, number>;

/** 9 metrics x 3 windows, metric-major: [chats1m, chats5m, chats15m, bids1m, ...]. */
export const RATE_SLOTS = STREAM_RATES.length * WINDOW_TAUS_MS.length;

export const rateSlot = (metric: StreamRate, window: number): number =>
  RATE_INDEX[metric] * WINDOW_TAUS_MS.length + window;

/**
 * A decayed sum kept at time t0 (v0) moved to time t and added `delta` (itself already decayed
 * to t): v = v0 * exp(-(t - t0)/tau) + delta. When t < t0 the delta is decayed forward instead,
 * so the result never depends on how events were split into batches (up to float rounding).
 */
export function decayMerge(v0: number, t0: number, delta: number, t: number, tauMs: number): number {
  return t >= t0 ? v0 * Math.exp(-(t - t0) / tauMs) + delta : v0 + delta * Math.exp(-(t0 - t) / tauMs);
}

/** A decayed sum kept at t0, read at t (>= t0), as a rate per minute over a window of tau. */
export function ratePerMinute(v0: number, t0: number, t: number, tauMs: number): number {
  const decayed = t > t0 ? v0 * Math.exp(-(t - t0) / tauMs) : v0;
  return (decayed * 60_000) / tauMs;
}

/**
 * Forward decay (Cormode et al.): a weight at time t stored as w * exp((t - epoch)/tau). Sums are
 * order-independent (plain additions: ZINCRBY), and the value at time `now` is
 * score * exp(-(now - epoch)/tau). tau = halfLife / ln 2.
 */
export function forwardDecayed(weight: number, t: number, epochMs: number, halfLifeMs: number): number {
  return weight * Math.exp(((t - epochMs) * Math.LN2) / halfLifeMs);
}
