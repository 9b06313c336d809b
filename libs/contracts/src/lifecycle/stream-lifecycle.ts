import { InvalidMessageError } from '../events/invalid-message.error';
import { toObject } from '../events/parse-event';
import { DEFAULT_TOPICS } from '../topics';
import { DEFAULT_MAX_EVENT_BYTES } from '../validation/limits';
import { validateClass } from '../validation/validate-class';
import { LifecycleEndReason, StreamLifecycleDto } from './stream-lifecycle.dto';

/** Default compacted topic of stream starts and ends (key = streamId). */
export const STREAM_LIFECYCLE_TOPIC = DEFAULT_TOPICS.streamLifecycle;

/** A stream went live: what a feed shows of it before any metrics. */
export interface StreamStartedLifecycle {
  schemaVersion: 1;
  streamId: string;
  eventId: string;
  live: true;
  startedAt: number;
  sellerId: string;
  title: string;
  category: string;
  language: string;
}

/** A stream's run ended (`startedAt`: that run's start, absent when the enricher never saw it). */
export interface StreamEndedLifecycle {
  schemaVersion: 1;
  streamId: string;
  eventId: string;
  live: false;
  startedAt?: number;
  endedAt: number;
  endReason: LifecycleEndReason;
}

export type StreamLifecycle = StreamStartedLifecycle | StreamEndedLifecycle;

/**
 * Validates one lifecycle record (unknown fields, and a start's or an end's fields on the other
 * kind, dropped); throws InvalidMessageError with every issue's path.
 */
export function parseStreamLifecycle(input: unknown): StreamLifecycle {
  const plain = toObject(input, DEFAULT_MAX_EVENT_BYTES);
  const { value, issues } = validateClass(StreamLifecycleDto, plain, '');
  if (issues.length > 0) throw new InvalidMessageError('invalid-field', issues);
  const { streamId, eventId, startedAt } = value;
  if (value.live) {
    return {
      schemaVersion: 1,
      streamId,
      eventId,
      live: true,
      startedAt: startedAt!,
      sellerId: value.sellerId!,
      title: value.title!,
      category: value.category!,
      language: value.language!,
    };
  }
  const ended: StreamEndedLifecycle = {
    schemaVersion: 1,
    streamId,
    eventId,
    live: false,
    endedAt: value.endedAt!,
    endReason: value.endReason!,
  };
  if (startedAt !== undefined) ended.startedAt = startedAt;
  return ended;
}
