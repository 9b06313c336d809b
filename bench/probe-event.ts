import { EventDataMap, EventType, NowcastEvent, SCHEMA_VERSION } from '@app/contracts';
import { randomUUID } from 'node:crypto';

/** A raw event of `type` with a fresh id, occurring at `occurredAt` (now), as a bench produces it. */
export const probeEvent = <T extends EventType>(
  type: T,
  data: EventDataMap[T],
  occurredAt = Date.now(),
): NowcastEvent =>
  ({ eventId: randomUUID(), type, schemaVersion: SCHEMA_VERSION, occurredAt, data }) as NowcastEvent;
