import { EnrichedEvent, StreamContext, toTenThousandths } from '@app/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { AGGREGATOR_SETTINGS, AggregatorSettings, WINDOW_TAUS_MS } from './aggregator.settings';
import { BatchUpdate, PartitionProgress, StreamDelta, UserDelta } from './batch-update';
import { RATE_SLOTS, StreamRate, forwardDecayed, rateSlot } from './decay';

/** One decoded message of the batch. */
export interface OffsetEvent {
  offset: string;
  /** null: a poison message (dead-lettered): only its offset counts. */
  event: EnrichedEvent | null;
}

const WINDOWS = WINDOW_TAUS_MS.length;

/**
 * The messages after the applied offset. A batch is in offset order, so only a redelivered head
 * is skipped: one BigInt comparison per message only when the first one is not already fresh.
 */
function freshMessages(messages: OffsetEvent[], appliedOffset: string | null): OffsetEvent[] {
  if (appliedOffset === null || messages.length === 0) return messages;
  const applied = BigInt(appliedOffset);
  if (BigInt(messages[0].offset) > applied) return messages;
  return messages.filter((m) => BigInt(m.offset) > applied);
}

/**
 * Pure: folds a batch of enriched events into per-key deltas (1,000 events on 200 streams -> 200
 * stream deltas), skipping what the stored offset says was already applied. Decayed sums are
 * pre-summed at each stream's latest non-late event time T: sum(w * exp(-(T - t_i)/tau)).
 */
@Injectable()
export class BatchFoldService {
  constructor(@Inject(AGGREGATOR_SETTINGS) private readonly settings: AggregatorSettings) {}

  /** null when every message was already applied (a redelivery). */
  fold(
    topic: string,
    partition: number,
    messages: OffsetEvent[],
    progress: PartitionProgress,
  ): BatchUpdate | null {
    const fresh = freshMessages(messages, progress.offset);
    if (fresh.length === 0) return null;
    // Pass 1: lateness against the partition's running max event time (offset order), and T per stream.
    let max = progress.maxEventTime;
    const late = new Uint8Array(fresh.length);
    const streamT = new Map<string, number>();
    for (let i = 0; i < fresh.length; i++) {
      const { event } = fresh[i];
      if (!event) continue;
      const t = event.occurredAt;
      if (t < max - this.settings.latenessMs) late[i] = 1;
      else if ('streamId' in event.data) {
        const id = event.data.streamId;
        if (t > (streamT.get(id) ?? 0)) streamT.set(id, t);
      }
      if (t > max) max = t;
    }
    const folder = new Folder(this.settings, streamT);
    for (let i = 0; i < fresh.length; i++) {
      const { event } = fresh[i];
      if (event) folder.add(event, late[i] === 1);
    }
    return {
      topic,
      partition,
      lastOffset: fresh[fresh.length - 1].offset,
      expectOffset: progress.offset ?? '',
      maxEventTime: max,
      streams: [...folder.streams.values()].map(finishStream),
      users: [...folder.users.values()].map(finishUser),
      lateEvents: late.reduce((sum, v) => sum + v, 0),
    };
  }
}

interface StreamAcc extends StreamDelta {
  presenceMap: Map<string, [string, number, number]>;
  viewerSet: Map<string, [string, number, number]>;
  bidderSet: Map<string, [string, number, number]>;
}

interface UserAcc extends UserDelta {
  followMap?: Map<string, [string, number, number]>;
}

/** In place, not a copy of every field per stream and batch: the accumulator is the delta. */
function finishStream(acc: StreamAcc): StreamDelta {
  acc.presence = [...acc.presenceMap.values()];
  acc.viewers = [...acc.viewerSet.values()];
  acc.bidders = [...acc.bidderSet.values()];
  return acc;
}

function finishUser(acc: UserAcc): UserDelta {
  if (acc.followMap) acc.follows = [...acc.followMap.values()];
  return acc;
}

/** Fields are created on first use: most users do one thing per batch. */
function newUser(id: string): UserAcc {
  return { id };
}

function addInto(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function maxInto(map: Map<string, number>, key: string, value: number): void {
  const current = map.get(key);
  if (current === undefined || value > current) map.set(key, value);
}

function shownOf(u: UserAcc, streamId: string): [number, number, number] {
  const shown = (u.shown ??= new Map<string, [number, number, number]>());
  let entry = shown.get(streamId);
  if (!entry) shown.set(streamId, (entry = [0, 0, 0]));
  return entry;
}

const contextOf = (event: EnrichedEvent): StreamContext | null => {
  const stream = event.enrichment.stream;
  return typeof stream === 'object' ? stream : null;
};

class Folder {
  readonly streams = new Map<string, StreamAcc>();
  readonly users = new Map<string, UserAcc>();

  constructor(
    private readonly settings: AggregatorSettings,
    private readonly streamT: Map<string, number>,
  ) {}

  add(event: EnrichedEvent, late: boolean): void {
    const t = event.occurredAt;
    switch (event.type) {
      case 'stream.started': {
        const s = this.stream(event.data.streamId, t);
        const { sellerId, title, category, language } = event.data;
        s.life.push({ op: 'start', t, sellerId, title, category, language });
        this.activity(s, t, late);
        return;
      }
      case 'stream.updated': {
        const s = this.stream(event.data.streamId, t);
        const { title, category, language } = event.data;
        s.life.push({ op: 'update', t, title, category, language });
        this.activity(s, t, late);
        return;
      }
      case 'stream.heartbeat': {
        const s = this.stream(event.data.streamId, t);
        if (!late) s.hb = Math.max(s.hb, t);
        this.activity(s, t, late);
        return;
      }
      case 'stream.ended':
      case 'stream.removed': {
        const s = this.stream(event.data.streamId, t);
        s.life.push({ op: 'end', t, reason: event.type === 'stream.ended' ? 'ended' : 'removed' });
        return;
      }
      case 'stream.expired': {
        const s = this.stream(event.data.streamId, t);
        s.life.push({ op: 'expire', t, eventId: event.eventId, actBefore: s.act });
        return;
      }
      case 'auction.started':
        this.activity(this.stream(event.data.streamId, t), t, late);
        return;
      case 'view.started': {
        const s = this.engage(event.data.streamId, event.data.userId, t, late, 'joins', 1);
        if (!s.viewerSet.has(event.data.userId))
          s.viewerSet.set(event.data.userId, [event.data.userId, t, late ? 1 : 0]);
        this.affinity(event, event.data.userId, this.settings.engagementWeights.view);
        const ctx = contextOf(event);
        s.watch.push([event.data.userId, 1, t, ctx?.sellerId ?? '', ctx?.category ?? '']);
        return;
      }
      case 'view.ended': {
        const s = this.stream(event.data.streamId, t);
        this.rate(s, 'leaves', 1, t, late);
        if (!late) {
          const p = this.presence(s, event.data.userId);
          p[2] = Math.max(p[2], t);
        }
        const u = this.user(event.data.userId);
        const ctx = contextOf(event);
        s.watch.push([event.data.userId, 0, t, ctx?.sellerId ?? '', ctx?.category ?? '']);
        maxInto((u.recent ??= new Map<string, number>()), event.data.streamId, t);
        return;
      }
      case 'chat.message': {
        const s = this.engage(event.data.streamId, event.data.userId, t, late, 'chats', 1);
        s.chats += 1;
        this.counts(this.affinity(event, event.data.userId, this.settings.engagementWeights.chat), event, 0);
        return;
      }
      case 'bid.placed': {
        const s = this.engage(event.data.streamId, event.data.userId, t, late, 'bids', 1);
        s.bids += 1;
        if (!s.bidderSet.has(event.data.userId))
          s.bidderSet.set(event.data.userId, [event.data.userId, t, late ? 1 : 0]);
        this.counts(this.affinity(event, event.data.userId, this.settings.engagementWeights.bid), event, 1);
        return;
      }
      case 'purchase.completed': {
        const s = this.engage(event.data.streamId, event.data.userId, t, late, 'purchases', 1);
        s.purchases += 1;
        const { currency, amount } = event.data;
        s.gmv[currency] = (s.gmv[currency] ?? 0) + toTenThousandths(amount);
        this.rate(s, 'gmv', amount, t, late);
        this.counts(
          this.affinity(event, event.data.userId, this.settings.engagementWeights.purchase),
          event,
          2,
        );
        return;
      }
      case 'giveaway.entered': {
        const s = this.engage(event.data.streamId, event.data.userId, t, late, 'giveaways', 1);
        s.giveaways += 1;
        this.affinity(event, event.data.userId, this.settings.engagementWeights.giveaway);
        return;
      }
      case 'seller.followed':
      case 'seller.unfollowed': {
        const { userId, sellerId } = event.data;
        (this.user(userId).followMap ??= new Map()).set(sellerId, [
          sellerId,
          event.type === 'seller.followed' ? 1 : 0,
          t,
        ]);
        return;
      }
      case 'rec.impression': {
        const u = this.user(event.data.userId);
        for (const streamId of event.data.streamIds) {
          const shown = shownOf(u, streamId);
          shown[0] += 1;
          shown[2] = Math.max(shown[2], t);
        }
        return;
      }
      case 'rec.clicked': {
        const u = this.affinity(
          event,
          event.data.userId,
          this.settings.engagementWeights.click,
          event.data.streamId,
        );
        const shown = shownOf(u, event.data.streamId);
        shown[1] += 1;
        shown[2] = Math.max(shown[2], t);
        return;
      }
      case 'user.erased': {
        // Everything this batch folded for the user before the erasure is dropped with the user.
        const u = newUser(event.data.userId);
        u.erase = true;
        this.users.set(u.id, u);
        // its open views too (kept per stream): nothing of the user's survives the erasure
        for (const s of this.streams.values()) s.watch = s.watch.filter(([userId]) => userId !== u.id);
        return;
      }
    }
  }

  private stream(id: string, t: number): StreamAcc {
    let s = this.streams.get(id);
    if (!s) {
      s = {
        id,
        life: [],
        hb: 0,
        act: 0,
        last: 0,
        T: this.streamT.get(id) ?? 0,
        rates: new Array<number>(RATE_SLOTS).fill(0),
        chats: 0,
        bids: 0,
        purchases: 0,
        giveaways: 0,
        gmv: {},
        presence: [],
        viewers: [],
        bidders: [],
        watch: [],
        presenceMap: new Map(),
        viewerSet: new Map(),
        bidderSet: new Map(),
      };
      this.streams.set(id, s);
    }
    if (t > s.last) s.last = t;
    return s;
  }

  private user(id: string): UserAcc {
    let u = this.users.get(id);
    if (!u) {
      u = newUser(id);
      this.users.set(id, u);
    }
    return u;
  }

  private activity(s: StreamAcc, t: number, late: boolean): void {
    if (!late && t > s.act) s.act = t;
  }

  private presence(s: StreamAcc, userId: string): [string, number, number] {
    let p = s.presenceMap.get(userId);
    if (!p) {
      p = [userId, 0, 0];
      s.presenceMap.set(userId, p);
    }
    return p;
  }

  private rate(s: StreamAcc, metric: StreamRate, weight: number, t: number, late: boolean): void {
    if (late) return;
    for (let w = 0; w < WINDOWS; w++) {
      s.rates[rateSlot(metric, w)] += weight * Math.exp(-(s.T - t) / WINDOW_TAUS_MS[w]);
    }
  }

  /** An engagement by a viewer: lease, presence, rate. */
  private engage(
    streamId: string,
    userId: string,
    t: number,
    late: boolean,
    metric: StreamRate,
    weight: number,
  ): StreamAcc {
    const s = this.stream(streamId, t);
    this.activity(s, t, late);
    if (!late) {
      const p = this.presence(s, userId);
      p[1] = Math.max(p[1], t);
    }
    this.rate(s, metric, weight, t, late);
    return s;
  }

  /** Adds a forward-decayed engagement to the user's seller/category affinities and `recent`. */
  private affinity(event: EnrichedEvent, userId: string, weight: number, streamIdOverride?: string): UserAcc {
    const u = this.user(userId);
    const t = event.occurredAt;
    const streamId = streamIdOverride ?? ('streamId' in event.data ? event.data.streamId : '');
    maxInto((u.recent ??= new Map<string, number>()), streamId, t);
    const ctx = contextOf(event);
    if (ctx) {
      const w = forwardDecayed(weight, t, this.settings.userDecayEpochMs, this.settings.userHalfLifeMs);
      addInto((u.sellers ??= new Map<string, number>()), ctx.sellerId, w);
      addInto((u.categories ??= new Map<string, number>()), ctx.category, w);
    }
    return u;
  }

  /** Exact per-seller counters (index 0 chats, 1 bids, 2 purchases). */
  private counts(u: UserAcc, event: EnrichedEvent, index: 0 | 1 | 2): void {
    const ctx = contextOf(event);
    if (!ctx) return;
    const counts = (u.sellerCounts ??= new Map<string, [number, number, number]>());
    let c = counts.get(ctx.sellerId);
    if (!c) counts.set(ctx.sellerId, (c = [0, 0, 0]));
    c[index] += 1;
  }
}
