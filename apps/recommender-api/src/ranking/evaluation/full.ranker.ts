import { NowcastEvent } from '@app/contracts';
import { LiveCandidate, Ranker } from '@app/evaluation';
import { RankingService } from '../ranking.service';
import { RankingCandidate, RankingProfile, ShownRecord, UserSignals } from '../ranking.types';
import { WATCH_MS_PER_VISIT } from '../../user-state/user-state.repository';

/** A value decayed exponentially in event time (lazy: decayed when read or added to). */
class Decayed {
  constructor(
    public value = 0,
    public at = 0,
  ) {}

  add(amount: number, now: number, tauMs: number): void {
    this.value = this.read(now, tauMs) + amount;
    this.at = now;
  }

  read(now: number, tauMs: number): number {
    return now <= this.at ? this.value : this.value * Math.exp(-(now - this.at) / tauMs);
  }
}

export interface FullRankerOptions {
  profile: RankingProfile;
  /** Cosine(user, stream) from an embedding model fed the same events; undefined = unknown. */
  similarity?: (userId: string, streamId: string) => number | undefined;
  /** Time constant of a user's seller/category affinity, ms of event time. Default 3 days. */
  userTauMs?: number;
  /** Time constant of a stream's rates (bids, chats, GMV), ms. Default 5 minutes. */
  rateTauMs?: number;
}

/** Watch time counted per view, as the aggregator caps it (docs/key-layout.md), ms. */
const WATCH_CAP_MS = 4 * 3_600_000;

/** What a view / chat / bid / purchase adds to a user's affinity (a purchase means more). */
const ENGAGEMENT_WEIGHT = { view: 1, chat: 0.5, bid: 2, purchase: 4 };

/**
 * The recommender's RankingService in the offline harness: it rebuilds, from the replayed events,
 * what production reads from the aggregator's keys and the metrics feed (per-user decayed seller
 * and category affinity, visits per seller (chats, bids, purchases, watch time), follows, impressions; per-stream viewers and rates)
 * and ranks the live candidates with the same code and profile as GET /feed (no diversity caps:
 * the protocol scores one target's rank in the full live list).
 */
export class FullRanker implements Ranker {
  readonly name: string;
  private readonly ranking = new RankingService();
  private readonly userTauMs: number;
  private readonly rateTauMs: number;
  private readonly streams = new Map<string, { sellerId: string; category: string }>();
  private readonly viewers = new Map<string, number>();
  private readonly rates = new Map<string, { bids: Decayed; chats: Decayed; gmv: Decayed }>();
  private readonly users = new Map<
    string,
    {
      sellers: Map<string, Decayed>;
      sessions: Map<string, number>;
      categories: Map<string, Decayed>;
      follows: Set<string>;
      shown: Map<string, ShownRecord>;
      /** Open views: streamId -> view.started time (the aggregator's `watching`). */
      watching: Map<string, number>;
    }
  >();

  constructor(private readonly options: FullRankerOptions) {
    this.name = `full:${options.profile.name}`;
    this.userTauMs = options.userTauMs ?? 3 * 86_400_000;
    this.rateTauMs = options.rateTauMs ?? 5 * 60_000;
  }

  observe(event: NowcastEvent): void {
    const t = event.occurredAt;
    switch (event.type) {
      case 'stream.started':
        this.streams.set(event.data.streamId, {
          sellerId: event.data.sellerId,
          category: event.data.category,
        });
        return;
      case 'view.started':
        this.viewers.set(event.data.streamId, (this.viewers.get(event.data.streamId) ?? 0) + 1);
        this.engage(event.data.userId, event.data.streamId, ENGAGEMENT_WEIGHT.view, t, 0);
        this.user(event.data.userId).watching.set(event.data.streamId, t);
        return;
      case 'view.ended':
        this.viewers.set(event.data.streamId, Math.max(0, (this.viewers.get(event.data.streamId) ?? 0) - 1));
        this.watched(event.data.userId, event.data.streamId, t);
        return;
      case 'chat.message':
        this.rate(event.data.streamId).chats.add(1, t, this.rateTauMs);
        this.engage(event.data.userId, event.data.streamId, ENGAGEMENT_WEIGHT.chat, t, 1);
        return;
      case 'bid.placed':
        this.rate(event.data.streamId).bids.add(1, t, this.rateTauMs);
        this.engage(event.data.userId, event.data.streamId, ENGAGEMENT_WEIGHT.bid, t, 1);
        return;
      case 'purchase.completed':
        this.rate(event.data.streamId).gmv.add(event.data.amount, t, this.rateTauMs);
        this.engage(event.data.userId, event.data.streamId, ENGAGEMENT_WEIGHT.purchase, t, 1);
        return;
      case 'seller.followed':
        this.user(event.data.userId).follows.add(event.data.sellerId);
        return;
      case 'seller.unfollowed':
        this.user(event.data.userId).follows.delete(event.data.sellerId);
        return;
      case 'rec.impression':
        for (const streamId of event.data.streamIds) {
          const shown = this.user(event.data.userId).shown;
          const s = shown.get(streamId) ?? { impressions: 0, clicks: 0, lastShownAt: t };
          shown.set(streamId, { ...s, impressions: s.impressions + 1, lastShownAt: t });
        }
        return;
      case 'rec.clicked': {
        const shown = this.user(event.data.userId).shown;
        const s = shown.get(event.data.streamId) ?? { impressions: 0, clicks: 0, lastShownAt: t };
        shown.set(event.data.streamId, { ...s, clicks: s.clicks + 1 });
        return;
      }
      case 'stream.ended':
      case 'stream.removed':
      case 'stream.expired':
        this.viewers.delete(event.data.streamId);
        this.rates.delete(event.data.streamId);
        return;
      case 'user.erased':
        this.users.delete(event.data.userId);
        return;
      case 'auction.started':
      case 'giveaway.entered':
      case 'stream.heartbeat':
      case 'stream.updated':
        return; // no ranking signal of their own here
    }
  }

  rank(userId: string, candidates: readonly LiveCandidate[], now: number): readonly string[] {
    const candidatesIn: RankingCandidate[] = candidates.map((c) => {
      const r = this.rates.get(c.streamId);
      // Decayed sums with time constant tau approximate a rate of value / tau per ms
      const perMin = (d: Decayed | undefined) =>
        ((d?.read(now, this.rateTauMs) ?? 0) * 60_000) / this.rateTauMs;
      return {
        streamId: c.streamId,
        sellerId: c.sellerId,
        title: c.title,
        category: c.category,
        language: c.language,
        startedAt: c.startedAt,
        live: true,
        similarity: this.options.similarity?.(userId, c.streamId),
        metrics: {
          viewers: this.viewers.get(c.streamId) ?? 0,
          viewerVelocity: 0,
          bidsPerMin: perMin(r?.bids),
          chatsPerMin: perMin(r?.chats),
          gmvPerMin: perMin(r?.gmv),
        },
      };
    });
    const ranked = this.ranking.rank({
      candidates: candidatesIn,
      user: this.signals(userId, now),
      profile: { ...this.options.profile, caps: { maxPerSeller: Infinity, maxPerCategory: Infinity } },
      now,
      limit: candidatesIn.length,
    });
    return ranked.map((r) => r.candidate.streamId);
  }

  private signals(userId: string, now: number): UserSignals {
    const u = this.users.get(userId);
    if (!u) {
      return {
        sellerWeights: new Map(),
        sellerSessions: new Map(),
        follows: new Set(),
        categoryWeights: new Map(),
        shown: new Map(),
      };
    }
    const read = (m: Map<string, Decayed>) =>
      new Map([...m].map(([k, d]) => [k, d.read(now, this.userTauMs)]));
    return {
      sellerWeights: read(u.sellers),
      sellerSessions: u.sessions,
      follows: u.follows,
      categoryWeights: read(u.categories),
      shown: u.shown,
    };
  }

  /**
   * Visits per seller as production reads them from the aggregator's seller-counts
   * (user-state.repository userStateOf): chats + bids + purchases + watchMs / WATCH_MS_PER_VISIT.
   */
  private watched(userId: string, streamId: string, t: number): void {
    const u = this.users.get(userId);
    const started = u?.watching.get(streamId);
    const stream = this.streams.get(streamId);
    if (!u || started === undefined) return;
    u.watching.delete(streamId);
    if (!stream) return;
    const watchMs = Math.min(WATCH_CAP_MS, Math.max(0, t - started));
    u.sessions.set(stream.sellerId, (u.sessions.get(stream.sellerId) ?? 0) + watchMs / WATCH_MS_PER_VISIT);
  }

  private engage(userId: string, streamId: string, weight: number, t: number, visits: number): void {
    const stream = this.streams.get(streamId);
    if (!stream) return;
    const u = this.user(userId);
    const seller = u.sellers.get(stream.sellerId) ?? new Decayed();
    seller.add(weight, t, this.userTauMs);
    u.sellers.set(stream.sellerId, seller);
    const category = u.categories.get(stream.category) ?? new Decayed();
    category.add(weight, t, this.userTauMs);
    u.categories.set(stream.category, category);
    if (visits > 0) u.sessions.set(stream.sellerId, (u.sessions.get(stream.sellerId) ?? 0) + visits);
  }

  private user(userId: string) {
    let u = this.users.get(userId);
    if (!u) {
      u = {
        sellers: new Map(),
        sessions: new Map(),
        categories: new Map(),
        follows: new Set(),
        shown: new Map(),
        watching: new Map(),
      };
      this.users.set(userId, u);
    }
    return u;
  }

  private rate(streamId: string) {
    let r = this.rates.get(streamId);
    if (!r) this.rates.set(streamId, (r = { bids: new Decayed(), chats: new Decayed(), gmv: new Decayed() }));
    return r;
  }
}
