import { EventDataMap, EventType } from '@app/contracts';
import { EventQueue } from './event-queue';
import { Auction, LiveStream, LiveStreams, ViewSlot } from './live-streams';
import { Rng } from './random';
import { ResolvedSimulatorOptions } from './simulator.options';
import { Seller, User, World } from './world';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;

/** How a show stops: an end event, a moderation takedown, or silence (the lease must expire). */
export type StopKind = 'ended' | 'removed' | 'silent';

/** Something scheduled at an event time in the simulation's queue. */
export type Action =
  | { kind: 'stream-start'; seller: Seller; remaining?: number }
  | { kind: 'stream-stop'; stream: LiveStream; how: StopKind }
  | { kind: 'heartbeat'; stream: LiveStream }
  | { kind: 'stream-update'; stream: LiveStream }
  | { kind: 'auction-start'; stream: LiveStream }
  | { kind: 'auction-end'; stream: LiveStream; auction: Auction }
  | { kind: 'giveaway-start'; stream: LiveStream }
  | { kind: 'giveaway-end'; stream: LiveStream }
  | { kind: 'join'; user: User; stream: LiveStream | null }
  | { kind: 'leave'; slot: ViewSlot };

/** What the parts of the simulation share: the clock, randomness, the world and the output. */
export interface SimulationContext {
  readonly options: ResolvedSimulatorOptions;
  readonly rng: Rng;
  readonly world: World;
  readonly live: LiveStreams;
  readonly queue: EventQueue<Action>;
  /** Current event time, epoch ms (fractional; events carry it rounded). */
  readonly now: number;
  emit<T extends EventType>(type: T, data: EventDataMap[T]): void;
}

/** Rounds major units to cents: an integer divided by 100 prints with <= 2 decimals. */
export const cents = (amount: number): number => Math.round(amount * 100) / 100;
