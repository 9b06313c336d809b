import { NowcastEvent } from '@app/contracts';
import { randomUUID } from 'node:crypto';

/** A raw event of `type`, occurring now, as a latency probe produces it. */
export const probeEvent = (type: NowcastEvent['type'], data: object): NowcastEvent =>
  ({ eventId: randomUUID(), type, schemaVersion: 1, occurredAt: Date.now(), data }) as NowcastEvent;
