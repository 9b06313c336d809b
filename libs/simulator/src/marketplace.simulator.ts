import { EventDataMap, EventType, NowcastEvent, SCHEMA_VERSION } from '@app/contracts';
import { Audience, meanViewMs } from './audience';
import { EventIdFactory } from './event-ids';
import { EventQueue } from './event-queue';
import { LiveStreams } from './live-streams';
import { Rng } from './random';
import { Shows } from './shows';
import { Action, MINUTE, SECOND, SimulationContext } from './simulation-context';
import {
  ResolvedSimulatorOptions,
  SimulatorOptions,
  resolveOptions,
  targetViewers,
} from './simulator.options';
import { World } from './world';

export interface SimulatorStats {
  /** Event time of the last processed step, epoch ms. */
  nowMs: number;
  emitted: number;
  byType: Partial<Record<EventType, number>>;
  liveStreams: number;
  viewers: number;
  usersCreated: number;
  users: number;
  sellers: number;
}

/**
 * A live-shopping marketplace as a discrete-event simulation in event time, deterministic for a
 * seed: sellers go live on their schedules, users come and go in sessions, mostly back to their
 * favourite sellers, and chat, bid, buy and follow while watching. `next()` returns events in
 * non-decreasing occurredAt order, as fast as the CPU allows; pacing is the runner's job.
 */
export class MarketplaceSimulator implements SimulationContext {
  readonly options: ResolvedSimulatorOptions;
  readonly rng: Rng;
  readonly world: World;
  readonly live: LiveStreams;
  readonly queue = new EventQueue<Action>();
  private readonly ids: EventIdFactory;
  private readonly shows: Shows;
  private readonly audience: Audience;
  private readonly out: NowcastEvent[] = [];
  private outPos = 0;
  now: number;
  private readonly byType: Partial<Record<EventType, number>> = {};
  private emitted = 0;
  // Rate control (events per second of event time), re-estimated every second of event time.
  private nextTickAt: number;
  private nextArrivalAt = Infinity;
  private nextActivityAt: number;
  private arrivalsPerMs = 0;
  private activityPerMs = 0;
  private otherRate: number;
  private acceptance = 0.15;
  private tickEmitted = 0;
  private tickActivityEvents = 0;
  private tickFirings = 0;
  private readonly meanViewMs: number;

  constructor(options: SimulatorOptions) {
    this.options = resolveOptions(options);
    this.rng = new Rng(this.options.seed);
    this.ids = new EventIdFactory(this.options.seed);
    this.world = new World(this.options, this.rng);
    this.live = new LiveStreams(this.world);
    this.audience = new Audience(this);
    this.shows = new Shows(this, this.audience);
    this.now = this.options.startTimeMs;
    this.meanViewMs = meanViewMs(this.options.watchMinutes);
    this.otherRate = 0.15 * this.options.ratePerSec;
    this.nextTickAt = this.now + SECOND;
    this.nextActivityAt = this.now + SECOND;
    this.warmStart();
    this.retune();
  }

  /** The next event (occurredAt never decreases). */
  next(): NowcastEvent {
    while (this.outPos >= this.out.length) {
      this.out.length = 0;
      this.outPos = 0;
      this.step();
    }
    return this.out[this.outPos++];
  }

  /** The next `count` events. */
  take(count: number): NowcastEvent[] {
    const events = new Array<NowcastEvent>(count);
    for (let i = 0; i < count; i++) events[i] = this.next();
    return events;
  }

  /** occurredAt of the event next() would return, without consuming it. */
  peekTime(): number {
    while (this.outPos >= this.out.length) {
      this.out.length = 0;
      this.outPos = 0;
      this.step();
    }
    return this.out[this.outPos].occurredAt;
  }

  stats(): SimulatorStats {
    return {
      nowMs: this.now,
      emitted: this.emitted,
      byType: { ...this.byType },
      liveStreams: this.live.count,
      viewers: this.live.viewers.length,
      usersCreated: this.world.usersCreated,
      users: this.options.users,
      sellers: this.options.sellers,
    };
  }

  // ---- the event loop -------------------------------------------------------------------------

  private step(): void {
    const queued = this.queue.peekTime();
    const at = Math.min(queued, this.nextTickAt, this.nextArrivalAt, this.nextActivityAt);
    this.now = at;
    if (at === this.nextTickAt) {
      this.nextTickAt += SECOND;
      this.retune();
    } else if (at === this.nextActivityAt) {
      this.nextActivityAt =
        this.activityPerMs > 0 ? at + this.rng.exp(1 / this.activityPerMs) : this.nextTickAt;
      const before = this.emitted;
      if (this.audience.activity()) this.tickFirings++;
      this.tickActivityEvents += this.emitted - before;
    } else if (at === this.nextArrivalAt) {
      this.nextArrivalAt = this.arrivalsPerMs > 0 ? at + this.rng.exp(1 / this.arrivalsPerMs) : Infinity;
      const user = this.audience.pickOfflineUser();
      if (user) this.audience.join(user, null);
    } else {
      const item = this.queue.pop();
      if (item) this.perform(item.action);
    }
  }

  private perform(action: Action): void {
    switch (action.kind) {
      case 'stream-start':
        return this.shows.startStream(action.seller, action.remaining ?? 1);
      case 'stream-stop':
        return this.shows.stopStream(action.stream, action.how);
      case 'heartbeat':
        if (!action.stream.alive) return;
        this.emit('stream.heartbeat', {
          streamId: action.stream.id,
          viewerCount: action.stream.viewers.length,
        });
        this.queue.push(this.now + this.rng.range(15, 30) * SECOND, action);
        return;
      case 'stream-update':
        if (action.stream.alive)
          this.emit('stream.updated', {
            streamId: action.stream.id,
            title: this.shows.title(action.stream.seller),
          });
        return;
      case 'auction-start':
        return this.shows.startAuction(action.stream);
      case 'auction-end':
        return this.shows.endAuction(action.stream, action.auction);
      case 'giveaway-start':
        if (!action.stream.alive) return;
        action.stream.giveaway = { entered: new Set() };
        this.queue.push(this.now + this.rng.range(45, 90) * SECOND, {
          kind: 'giveaway-end',
          stream: action.stream,
        });
        return;
      case 'giveaway-end':
        action.stream.giveaway = null;
        if (action.stream.alive)
          this.queue.push(this.now + this.rng.exp(8 * MINUTE), {
            kind: 'giveaway-start',
            stream: action.stream,
          });
        return;
      case 'join':
        return this.audience.join(action.user, action.stream?.alive ? action.stream : null);
      case 'leave':
        if (action.slot.pos === -1) return;
        this.emit('view.ended', { userId: action.slot.user.id, streamId: action.slot.stream.id });
        return this.audience.finishView(action.slot, true);
    }
  }

  emit<T extends EventType>(type: T, data: EventDataMap[T]): void {
    const event = {
      eventId: this.ids.next(),
      type,
      schemaVersion: SCHEMA_VERSION,
      occurredAt: Math.round(this.now),
      data,
    } as NowcastEvent;
    this.out.push(event);
    this.emitted++;
    this.tickEmitted++;
    this.byType[type] = (this.byType[type] ?? 0) + 1;
  }

  /**
   * Every second of event time: re-estimate the share of non-activity events and the share of
   * activity draws that yield an event, so the output stays near ratePerSec; steer arrivals so
   * the number of viewers stays near the target.
   */
  private retune(): void {
    const alpha = 0.2;
    const activity = this.tickActivityEvents;
    this.otherRate = (1 - alpha) * this.otherRate + alpha * (this.tickEmitted - activity);
    if (this.tickFirings > 50)
      this.acceptance = (1 - alpha) * this.acceptance + (alpha * activity) / this.tickFirings;
    this.tickEmitted = this.tickActivityEvents = this.tickFirings = 0;
    const activityRate = Math.max(0, this.options.ratePerSec - this.otherRate);
    this.activityPerMs = activityRate / Math.max(0.02, this.acceptance) / SECOND;
    const target = targetViewers(this.options);
    const pressure = Math.min(2, Math.max(0.5, target / Math.max(1, this.live.viewers.length)));
    this.arrivalsPerMs = (target / this.meanViewMs) * (1 - this.options.hopProbability) * pressure;
    if (this.nextArrivalAt === Infinity && this.arrivalsPerMs > 0)
      this.nextArrivalAt = this.now + this.rng.exp(1 / this.arrivalsPerMs);
  }

  /** Start in steady state: a share of sellers live, most of the target audience joining. */
  private warmStart(): void {
    const { liveFraction } = this.options;
    for (const seller of this.world.sellers) {
      // Shows already running when the log starts are somewhere in the middle: only a part of
      // them remains (else they would all end late together and overshoot the live count).
      if (this.rng.chance(liveFraction)) {
        const at = this.now + this.rng.range(0, 2 * SECOND);
        this.queue.push(at, { kind: 'stream-start', seller, remaining: this.rng.next() });
      } else {
        this.queue.push(this.now + this.rng.exp(seller.meanGapMs), { kind: 'stream-start', seller });
      }
    }
    const joins = Math.round(0.8 * targetViewers(this.options));
    for (let i = 0; i < joins; i++) {
      const user = this.audience.pickOfflineUser();
      if (!user) continue;
      user.online = true;
      this.queue.push(this.now + this.rng.range(SECOND, 11 * SECOND), { kind: 'join', user, stream: null });
    }
  }
}
