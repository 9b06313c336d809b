import { AuctionStartedData, BidPlacedData, PurchaseCompletedData } from '../commerce/commerce-events.dto';
import {
  ChatMessageData,
  GiveawayEnteredData,
  ViewEndedData,
  ViewStartedData,
} from '../engagement/engagement-events.dto';
import { RecClickedData, RecImpressionData } from '../rec/rec-events.dto';
import { SellerFollowedData, SellerUnfollowedData } from '../social/social-events.dto';
import {
  StreamEndedData,
  StreamExpiredData,
  StreamHeartbeatData,
  StreamRemovedData,
  StreamStartedData,
  StreamUpdatedData,
} from '../stream/stream-events.dto';
import { UserErasedData } from '../user/user-events.dto';

/** The one schema version of every v1 event. */
export const SCHEMA_VERSION = 1 as const;

/** The data class of each event type (the class-validator schema of `data`). */
export const EVENT_DATA_CLASSES = {
  'stream.started': StreamStartedData,
  'stream.updated': StreamUpdatedData,
  'stream.heartbeat': StreamHeartbeatData,
  'stream.ended': StreamEndedData,
  'stream.removed': StreamRemovedData,
  'stream.expired': StreamExpiredData,
  'view.started': ViewStartedData,
  'view.ended': ViewEndedData,
  'chat.message': ChatMessageData,
  'auction.started': AuctionStartedData,
  'bid.placed': BidPlacedData,
  'purchase.completed': PurchaseCompletedData,
  'giveaway.entered': GiveawayEnteredData,
  'seller.followed': SellerFollowedData,
  'seller.unfollowed': SellerUnfollowedData,
  'rec.impression': RecImpressionData,
  'rec.clicked': RecClickedData,
  'user.erased': UserErasedData,
} as const;

export type EventType = keyof typeof EVENT_DATA_CLASSES;
export type EventDataMap = { [T in EventType]: InstanceType<(typeof EVENT_DATA_CLASSES)[T]> };

/** Every event type, in a stable order. */
export const EVENT_TYPES = Object.keys(EVENT_DATA_CLASSES) as readonly EventType[];

/** Written only by the system (the aggregator's lease sweeper); clients may not send them. */
export const SYSTEM_ONLY_EVENT_TYPES: readonly EventType[] = ['stream.expired'];
/** Accepted from clients only with the admin scope. */
export const ADMIN_ONLY_EVENT_TYPES: readonly EventType[] = ['user.erased'];
/** Lifecycle of a stream: these decide liveness. */
export const STREAM_LIFECYCLE_EVENT_TYPES: readonly EventType[] = [
  'stream.started',
  'stream.updated',
  'stream.heartbeat',
  'stream.ended',
  'stream.removed',
  'stream.expired',
];

const eventTypeSet: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && eventTypeSet.has(value);
}

/** The envelope of one event of type T. */
export interface EventEnvelope<T extends EventType = EventType> {
  /** Idempotency key (a UUID is recommended; any safe id of <= 128 characters is accepted). */
  eventId: string;
  type: T;
  schemaVersion: typeof SCHEMA_VERSION;
  /** When it happened, epoch milliseconds. */
  occurredAt: number;
  data: EventDataMap[T];
}

/** Any v1 event, discriminated by `type`. */
export type NowcastEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

/** The event of a given type: `EventOf<'bid.placed'>`. */
export type EventOf<T extends EventType> = Extract<NowcastEvent, { type: T }>;
