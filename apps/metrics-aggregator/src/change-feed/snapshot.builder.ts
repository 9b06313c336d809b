import { RATE_WINDOWS, StreamMetricsSnapshot, WindowRates } from '@app/contracts';
import { WINDOW_TAUS_MS } from '../aggregation/aggregator.settings';
import { ratePerMinute, rateSlot } from '../aggregation/decay';
import { StreamState } from '../state/aggregate-state.repository';

/**
 * The change-feed record of a stream: rates per minute decayed to `atMs` (the partition's event
 * time, never before the stream's own decay time). null for a stream never started (no metadata).
 */
export function buildSnapshot(state: StreamState, atMs: number, nowMs: number): StreamMetricsSnapshot | null {
  const { sellerId, category, language, title, startedAt } = state;
  if (sellerId === null || category === null || language === null || title === null || startedAt === null) {
    return null;
  }
  const at = Math.max(atMs, state.rt);
  const rate = (metric: Parameters<typeof rateSlot>[0], w: number): number =>
    ratePerMinute(state.rates[rateSlot(metric, w)], state.rt, at, WINDOW_TAUS_MS[w]);
  const rates = {} as Record<(typeof RATE_WINDOWS)[number], WindowRates>;
  RATE_WINDOWS.forEach((window, w) => {
    rates[window] = {
      chats: rate('chats', w),
      bids: rate('bids', w),
      uniqueBidders: rate('uniqueBidders', w),
      purchases: rate('purchases', w),
      gmv: rate('gmv', w),
      giveaways: rate('giveaways', w),
      newViewers: rate('newViewers', w),
    };
  });
  return {
    streamId: state.id,
    live: state.live,
    ...(state.endReason && !state.live ? { endReason: state.endReason } : {}),
    sellerId,
    category,
    language,
    title,
    startedAt,
    ...(state.endedAt !== null && !state.live ? { endedAt: state.endedAt } : {}),
    viewers: state.live ? state.viewers : 0,
    peakViewers: state.peakViewers,
    uniqueViewers: state.uniqueViewers,
    rates,
    viewerVelocity: state.live ? rate('joins', 0) - rate('leaves', 0) : 0,
    engagementScore: state.live ? state.score : 0,
    lifetime: {
      chats: state.chats,
      bids: state.bids,
      purchases: state.purchases,
      gmvByCurrency: { ...state.gmv },
      giveawayEntries: state.giveaways,
      uniqueViewers: state.uniqueViewers,
    },
    lastEventAt: state.lastEventAt,
    updatedAt: nowMs,
  };
}

/**
 * What counts as a material change: lifecycle, metadata, viewers, any lifetime total, or the
 * engagement score / 1-minute chat and bid rates moving by more than `relative` (default 5%).
 */
export function materialFingerprint(s: StreamMetricsSnapshot, relative = 0.05): string {
  const bucket = (v: number): number => (v <= 0 ? 0 : Math.round(Math.log(v + 1) / Math.log1p(relative)));
  const l = s.lifetime;
  return [
    s.live,
    s.title,
    s.category,
    s.language,
    s.viewers,
    l.chats,
    l.bids,
    l.purchases,
    l.giveawayEntries,
    l.uniqueViewers,
    JSON.stringify(l.gmvByCurrency),
    bucket(s.engagementScore),
    bucket(s.rates['1m'].chats),
    bucket(s.rates['1m'].bids),
  ].join('|');
}
