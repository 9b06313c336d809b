import { AggregatorSettings } from '../aggregation/aggregator.settings';
import {
  ApplyOutcome,
  BatchUpdate,
  LifecycleOp,
  PartitionProgress,
  StreamDelta,
  UserDelta,
} from '../aggregation/batch-update';
import { RATE_SLOTS } from '../aggregation/decay';
import { expiredEventId } from '../liveness/expired-event-id';
import {
  AggregateStateRepository,
  ApplySettings,
  LeaseHolder,
  PendingStream,
  SellerState,
  USER_ENGAGEMENT_SUFFIXES,
  seenHourOf,
  writesEngagement,
  StreamState,
  UserState,
  Watermark,
  applySettingsOf,
} from './aggregate-state.repository';
import { InMemoryStore } from './in-memory-store';
import { AGGREGATE_STATE_FORMAT, NewerStateFormatError } from './state-format';
import { HOT_FIELDS, PackedStream, decodePackedStream, packedStreamString } from './packed-stream.codec';
import { decodeStreamHash } from './stream-state.codec';

/** A stream's keys that expire once it has ended (the script's expireLater) and persist on a restart. */
const streamKeys = (s: string): string[] => [s, `${s}:uv`, `${s}:ub`, `${s}:watching`];

const num = (h: Map<string, string>, field: string): number => Number(h.get(field) ?? '0');

/** The numbers of a stream hash (format 2, or an earlier version's fields: the script's readPacked). */
const readPacked = (h: Map<string, string>): PackedStream => decodePackedStream(h.get('r'), (f) => h.get(f));

/** As the script's writePacked: format 2, and an earlier version's fields deleted. */
function writePacked(h: Map<string, string>, p: PackedStream): void {
  h.set('r', packedStreamString(p));
  for (const f of HOT_FIELDS) h.delete(f);
}

/**
 * The in-memory twin of RedisAggregateStateRepository for the one-process mode: the same key
 * model and the same apply logic as apply-batch.lua.ts, step for step (kept in the same order so
 * a reader can compare them), checked by the shared conformance suite.
 */
export class InMemoryAggregateStateRepository implements AggregateStateRepository {
  private readonly cfg: ApplySettings;
  private erased: [string, string][] = [];
  /** The users whose engagement keys the batch wrote (the script's touchedList). */
  private readonly touchedUsers = new Set<string>();
  private topic = '';
  private partition = 0;

  /** `store`: given by the conformance suite, which writes hashes of an earlier version into it. */
  constructor(
    settings: AggregatorSettings,
    private readonly store = new InMemoryStore(),
  ) {
    this.cfg = applySettingsOf(settings);
  }

  readProgress(topic: string, partition: number): Promise<PartitionProgress> {
    this.store.dropExpired();
    const h = this.store.hashes.get(`offset:${topic}:${partition}`);
    return Promise.resolve({
      offset: h?.get('offset') ?? null,
      maxEventTime: h ? num(h, 'maxEventTime') : 0,
    });
  }

  applyBatch(u: BatchUpdate): Promise<ApplyOutcome> {
    this.store.dropExpired();
    const format = Number(this.store.strings.get('format') ?? '0');
    if (format > AGGREGATE_STATE_FORMAT) return Promise.reject(new NewerStateFormatError(format));
    if (format < AGGREGATE_STATE_FORMAT) this.store.strings.set('format', String(AGGREGATE_STATE_FORMAT));
    const okey = `offset:${u.topic}:${u.partition}`;
    const prog = this.store.hashes.get(okey);
    const stored = prog?.get('offset');
    if (stored !== undefined && BigInt(stored) >= BigInt(u.lastOffset))
      return Promise.resolve({ status: 'duplicate' });
    if ((stored ?? '') !== u.expectOffset) {
      return Promise.resolve({
        status: 'conflict',
        progress: { offset: stored ?? null, maxEventTime: prog ? num(prog, 'maxEventTime') : 0 },
      });
    }
    this.topic = u.topic;
    this.partition = u.partition;
    this.erased = [];
    this.touchedUsers.clear();
    const pending = this.store.zset(`pending:${u.topic}:${u.partition}`);
    for (const d of u.streams) {
      pending.set(d.id, Number(u.lastOffset));
      this.applyStream(d);
    }
    for (const d of u.users) this.applyUser(d);
    if (this.cfg.userTtlSec > 0) {
      const seenAt = seenHourOf(u.maxEventTime);
      for (const id of this.touchedUsers) this.store.zaddGt('users:seen', id, seenAt);
    }
    const h = this.store.hash(okey);
    h.set('offset', u.lastOffset);
    h.set('maxEventTime', String(Math.max(num(h, 'maxEventTime'), u.maxEventTime)));
    return Promise.resolve({ status: 'applied', erasedFollows: this.erased });
  }

  readStreams(ids: string[]): Promise<(StreamState | null)[]> {
    this.store.dropExpired();
    return Promise.resolve(
      ids.map((id) => {
        const h = this.store.hashes.get(`s:${id}`);
        return h ? decodeStreamHash(id, Object.fromEntries(h)) : null;
      }),
    );
  }

  readLive(): Promise<string[]> {
    this.store.dropExpired();
    return Promise.resolve(this.store.zsorted('live').map(([id]) => id));
  }

  readUser(userId: string): Promise<UserState> {
    this.store.dropExpired();
    const base = `u:${userId}:`;
    const desc = (key: string): [string, number][] => this.store.zsorted(base + key).reverse();
    const counts = (key: string): Record<string, number> =>
      Object.fromEntries([...(this.store.hashes.get(base + key) ?? [])].map(([k, v]) => [k, Number(v)]));
    return Promise.resolve({
      sellers: desc('sellers'),
      categories: desc('categories'),
      recent: desc('recent'),
      sellerCounts: counts('seller-counts'),
      shown: desc('shown'),
      shownCounts: counts('shown-counts'),
      follows: [...(this.store.sets.get(`${base}follows`) ?? [])].sort(),
    });
  }

  readSeller(sellerId: string): Promise<SellerState> {
    this.store.dropExpired();
    const h = this.store.hashes.get(`seller:${sellerId}`);
    return Promise.resolve({
      live: h?.get('live') === '1',
      streamId: h?.get('streamId') ?? null,
      followers: [...(this.store.sets.get(`seller:${sellerId}:followers`) ?? [])].sort(),
    });
  }

  leaseHolders(topic: string, partition: number, before: number, limit: number): Promise<LeaseHolder[]> {
    this.store.dropExpired();
    return Promise.resolve(
      this.store
        .zsorted(`lease:${topic}:${partition}`)
        .filter(([, score]) => score <= before)
        .slice(0, limit)
        .map(([streamId, lastActivityAt]) => ({ streamId, lastActivityAt })),
    );
  }

  writeWatermarks(watermarks: Watermark[]): Promise<void> {
    this.store.dropExpired();
    const h = this.store.hash('watermarks');
    for (const w of watermarks) {
      h.set(`${w.topic}:${w.partition}`, JSON.stringify({ eventTime: w.eventTime, updatedAt: w.updatedAt }));
    }
    return Promise.resolve();
  }

  readPending(topic: string, partition: number): Promise<PendingStream[]> {
    this.store.dropExpired();
    return Promise.resolve(
      this.store
        .zsorted(`pending:${topic}:${partition}`)
        .map(([streamId, offset]) => ({ partition, streamId, offset })),
    );
  }

  ackPending(topic: string, acked: PendingStream[]): Promise<void> {
    this.store.dropExpired();
    for (const { partition, streamId, offset } of acked) {
      const pending = this.store.zsets.get(`pending:${topic}:${partition}`);
      const score = pending?.get(streamId);
      if (score !== undefined && score <= offset) pending?.delete(streamId);
    }
    return Promise.resolve();
  }

  readWatermarks(): Promise<Watermark[]> {
    this.store.dropExpired();
    return Promise.resolve(
      [...(this.store.hashes.get('watermarks') ?? [])].map(([field, json]) => {
        const cut = field.lastIndexOf(':');
        const { eventTime, updatedAt } = JSON.parse(json) as { eventTime: number; updatedAt: number };
        return { topic: field.slice(0, cut), partition: Number(field.slice(cut + 1)), eventTime, updatedAt };
      }),
    );
  }

  sweepIdleUsers(cutoff: number, limit: number): Promise<number> {
    this.store.dropExpired();
    const idle = this.store
      .zsorted('users:seen')
      .filter(([, at]) => at <= Math.floor(cutoff))
      .slice(0, limit);
    for (const [id] of idle) {
      for (const suffix of USER_ENGAGEMENT_SUFFIXES) this.store.del(`u:${id}:${suffix}`);
      this.store.zsets.get('users:seen')?.delete(id);
    }
    return Promise.resolve(idle.length);
  }

  deleteAll(): Promise<number> {
    const keys = this.store.keys();
    for (const key of keys) this.store.del(key);
    return Promise.resolve(keys.length);
  }

  private endStream(id: string, s: string, t: number, reason: string): void {
    const h = this.store.hash(s);
    if (h.get('live') !== '1') return;
    h.set('live', '0');
    h.set('endedAt', String(t));
    h.set('endReason', reason);
    const p = readPacked(h);
    p.hot.viewers = 0;
    p.hot.velocity = 0;
    p.hot.score = 0;
    writePacked(h, p);
    this.store.zsets.get('live')?.delete(id);
    this.store.zsets.get(`lease:${this.topic}:${this.partition}`)?.delete(id);
    const sellerId = h.get('sellerId');
    if (sellerId !== undefined) {
      const seller = this.store.hash(`seller:${sellerId}`);
      if (seller.get('streamId') === id) seller.set('live', '0');
    }
    this.store.del(`${s}:viewers`);
    this.expireLater(s);
  }

  /** As the script's expireLater: an ended stream's keys go `endedTtlSec` after its last write. */
  private expireLater(s: string): void {
    for (const key of streamKeys(s)) this.store.expire(key, this.cfg.endedTtlSec);
  }

  private applyLife(id: string, s: string, op: LifecycleOp): void {
    const h = this.store.hash(s);
    switch (op.op) {
      case 'start':
        for (const [k, v] of Object.entries({
          live: '1',
          sellerId: op.sellerId,
          title: op.title,
          category: op.category,
          language: op.language,
          startedAt: String(op.t),
          topic: this.topic,
          partition: String(this.partition),
        }))
          h.set(k, v);
        h.delete('endedAt');
        h.delete('endReason');
        for (const key of streamKeys(s)) this.store.persist(key);
        this.store.zset('live').set(id, op.t);
        this.store.zset(`lease:${this.topic}:${this.partition}`).set(id, op.t);
        this.store.hash(`seller:${op.sellerId}`).set('live', '1');
        this.store.hash(`seller:${op.sellerId}`).set('streamId', id);
        return;
      case 'update':
        if (op.title !== undefined) h.set('title', op.title);
        if (op.category !== undefined) h.set('category', op.category);
        if (op.language !== undefined) h.set('language', op.language);
        return;
      case 'end':
        this.endStream(id, s, op.t, op.reason);
        return;
      case 'expire': {
        const last = Math.max(readPacked(h).hot.lastActivityAt, op.actBefore);
        if (op.eventId === expiredEventId(id, last)) this.endStream(id, s, op.t, 'expired');
        return;
      }
    }
  }

  private applyStream(d: StreamDelta): void {
    const { store, cfg } = this;
    const id = d.id;
    const s = `s:${id}`;
    for (const op of d.life) this.applyLife(id, s, op);
    const h = store.hash(s);
    const live = h.get('live') === '1';
    const p = readPacked(h);
    const hot = p.hot;
    // written back when a number changed, and always for a live stream (as the script)
    let dirty = false;
    // lastActivityAt is the latest non-late activity whatever the state; only live streams hold a lease
    if (d.act > hot.lastActivityAt) {
      hot.lastActivityAt = d.act;
      dirty = true;
    }
    if (live && d.act > 0) store.zaddGt(`lease:${this.topic}:${this.partition}`, id, d.act);
    if (d.hb > hot.lastHeartbeatAt) {
      hot.lastHeartbeatAt = d.hb;
      dirty = true;
    }
    if (d.last > hot.lastEventAt) {
      hot.lastEventAt = d.last;
      dirty = true;
    }
    const lastEventAt = hot.lastEventAt;
    for (const field of ['chats', 'bids', 'purchases', 'giveaways'] as const) {
      if (d[field] > 0) {
        hot[field] += d[field];
        dirty = true;
      }
    }
    for (const [cur, amount] of Object.entries(d.gmv)) store.hincr(s, `gmv:${cur}`, amount);
    const rates = [...d.rates];
    const vkey = `${s}:viewers`;
    if (live) {
      for (const [user, activity, ended] of d.presence) {
        if (activity > 0) store.zaddGt(vkey, user, activity);
        const score = store.zsets.get(vkey)?.get(user);
        if (ended > 0 && score !== undefined && score <= ended) store.zsets.get(vkey)?.delete(user);
      }
    }
    for (const [user, t, late] of d.viewers) {
      const uv = store.set(`${s}:uv`);
      if (uv.has(user)) continue;
      uv.add(user);
      hot.uniqueViewers++;
      dirty = true;
      if (late === 0) for (let w = 0; w < 3; w++) rates[18 + w] += Math.exp(-(d.T - t) / cfg.taus[w]);
    }
    for (const [user, t, late] of d.bidders) {
      const ub = store.set(`${s}:ub`);
      if (ub.has(user)) continue;
      ub.add(user);
      if (late === 0) for (let w = 0; w < 3; w++) rates[6 + w] += Math.exp(-(d.T - t) / cfg.taus[w]);
    }
    const wk = `${s}:watching`;
    for (const [user, start, t, sellerId, category] of d.watch) {
      if (start === 1) {
        store.hash(wk).set(user, String(t));
        continue;
      }
      const started = store.hashes.get(wk)?.get(user);
      if (started === undefined) continue;
      store.hashes.get(wk)?.delete(user);
      this.watched(user, Number(started), t, sellerId, category);
    }
    const t0 = hot.rt;
    const merged = p.rates;
    if (d.T > 0) {
      for (let i = 0; i < RATE_SLOTS; i++) {
        const tau = cfg.taus[i % 3];
        merged[i] =
          d.T >= t0
            ? merged[i] * Math.exp(-(d.T - t0) / tau) + rates[i]
            : merged[i] + rates[i] * Math.exp(-(t0 - d.T) / tau);
      }
      hot.rt = Math.max(t0, d.T);
      dirty = true;
    }
    if (!live) {
      if (dirty) writePacked(h, p);
      this.expireLater(s);
      return;
    }
    const viewersZ = store.zsets.get(vkey);
    if (viewersZ) {
      for (const [user, score] of viewersZ)
        if (score < lastEventAt - cfg.viewerLeaseMs) viewersZ.delete(user);
    }
    const viewers = viewersZ?.size ?? 0;
    const peak = Math.max(hot.peakViewers, viewers);
    const perMin = (i: number): number => (merged[i] * 60_000) / cfg.taus[i % 3];
    const velocity = perMin(21) - perMin(24);
    const W = cfg.weights;
    const score =
      W.viewers * viewers +
      W.chats * perMin(1) +
      W.bids * perMin(4) +
      W.uniqueBidders * perMin(7) +
      W.purchases * perMin(10) +
      W.gmv * perMin(13) +
      W.giveaways * perMin(16) +
      W.newViewers * perMin(19) +
      W.velocity * velocity;
    hot.viewers = viewers;
    hot.peakViewers = peak;
    hot.velocity = velocity;
    hot.score = score;
    writePacked(h, p);
  }

  /** Watch time of a view that ended: forward-decayed affinity and exact ms per seller. */
  private watched(userId: string, started: number, t: number, seller: string, cat: string): void {
    const { store, cfg } = this;
    const dur = Math.min(cfg.watchCapMs, Math.max(0, t - started));
    const fwdRate = Math.log(2) / cfg.userHalfLifeMs;
    const w = ((cfg.watchWeight * dur) / 60_000) * Math.exp((t - cfg.epochMs) * fwdRate);
    if (w <= 0) return;
    const base = `u:${userId}:`;
    this.touchedUsers.add(userId);
    if (seller !== '') {
      store.zincr(`${base}sellers`, seller, w);
      store.hincr(`${base}seller-counts`, `${seller}:watchMs`, dur);
    }
    if (cat !== '') store.zincr(`${base}categories`, cat, w);
  }

  private eraseUser(id: string): void {
    const base = `u:${id}:`;
    this.store.zsets.get('users:seen')?.delete(id);
    this.touchedUsers.delete(id);
    for (const seller of this.store.sets.get(`${base}follows`) ?? []) {
      this.store.sets.get(`seller:${seller}:followers`)?.delete(id);
      this.erased.push([id, seller]);
    }
    for (const [sid] of this.store.zsorted(`${base}recent`)) {
      this.store.zsets.get(`s:${sid}:viewers`)?.delete(id);
      this.store.sets.get(`s:${sid}:uv`)?.delete(id);
      this.store.sets.get(`s:${sid}:ub`)?.delete(id);
      this.store.hashes.get(`s:${sid}:watching`)?.delete(id);
    }
    // 'streams' is no longer written; deleted still, as the script does for an older version's key
    for (const k of [
      'streams',
      'sellers',
      'categories',
      'recent',
      'seller-counts',
      'shown',
      'shown-counts',
      'follows',
    ])
      this.store.del(base + k);
  }

  private applyUser(d: UserDelta): void {
    const { store, cfg } = this;
    if (d.erase) this.eraseUser(d.id);
    const base = `u:${d.id}:`;
    if (writesEngagement(d)) this.touchedUsers.add(d.id);
    const counts = `${base}seller-counts`;
    // trims only when a stream new to the user appeared (as the script: amortized bounds)
    let grew = false;
    let grewShown = false;
    for (const [sid, t] of d.recent ?? []) {
      if (!store.zsets.get(`${base}recent`)?.has(sid)) grew = true;
      store.zaddGt(`${base}recent`, sid, t);
    }
    for (const [sel, w] of d.sellers ?? []) store.zincr(`${base}sellers`, sel, w);
    for (const [cat, w] of d.categories ?? []) store.zincr(`${base}categories`, cat, w);
    for (const [sel, [chats, bids, purchases]] of d.sellerCounts ?? []) {
      if (chats > 0) store.hincr(counts, `${sel}:chats`, chats);
      if (bids > 0) store.hincr(counts, `${sel}:bids`, bids);
      if (purchases > 0) store.hincr(counts, `${sel}:purchases`, purchases);
    }
    for (const [sid, [impressions, clicks, t]] of d.shown ?? []) {
      if (impressions > 0) store.hincr(`${base}shown-counts`, `i:${sid}`, impressions);
      if (clicks > 0) store.hincr(`${base}shown-counts`, `c:${sid}`, clicks);
      if (!store.zsets.get(`${base}shown`)?.has(sid)) grewShown = true;
      store.zaddGt(`${base}shown`, sid, t);
    }
    for (const [seller, follow] of d.follows ?? []) {
      if (follow === 1) {
        store.set(`${base}follows`).add(seller);
        store.set(`seller:${seller}:followers`).add(d.id);
      } else {
        store.sets.get(`${base}follows`)?.delete(seller);
        store.sets.get(`seller:${seller}:followers`)?.delete(d.id);
      }
    }
    // one size check (as the script): sellers/categories grow slower than recent
    if (grew && (store.zsets.get(`${base}recent`)?.size ?? 0) > cfg.userRecentMax) {
      store.ztrim(`${base}recent`, cfg.userRecentMax);
      for (const sel of store.ztrim(`${base}sellers`, cfg.userSellersMax)) {
        for (const f of ['chats', 'bids', 'purchases', 'watchMs'])
          store.hashes.get(counts)?.delete(`${sel}:${f}`);
      }
      store.ztrim(`${base}categories`, cfg.userCategoriesMax);
    }
    for (const sid of grewShown ? store.ztrim(`${base}shown`, cfg.userShownMax) : []) {
      store.hashes.get(`${base}shown-counts`)?.delete(`i:${sid}`);
      store.hashes.get(`${base}shown-counts`)?.delete(`c:${sid}`);
    }
  }
}
