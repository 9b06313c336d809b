import { NowcastEvent } from '@app/contracts';

/** The poison kinds of the issue and the dead-letter reason (x-error-reason) each must get. */
export const POISON_KINDS = {
  'not-json': 'not-json',
  'wrong-schema': 'invalid-field',
  'unknown-type': 'unknown-type',
  oversized: 'too-large',
  'far-future': 'invalid-field',
  'far-past': 'invalid-field',
} as const;
export type PoisonKind = keyof typeof POISON_KINDS;
const KINDS = Object.keys(POISON_KINDS) as PoisonKind[];

export interface PoisonMessage {
  kind: PoisonKind;
  /** The eventId it carries (also for not-JSON: inside the broken text), unique per message. */
  eventId: string;
  key: string;
  value: string;
}

/** Over the enricher's 64 KiB event cap (EVENT_MAX_BYTES default), under the broker's 1 MB. */
const OVERSIZED_PAD_CHARS = 70 * 1024;
const HOUR_MS = 3_600_000;

/**
 * Poison messages that look like a chat on a real, live stream: if any of them were counted, that
 * stream's lifetime chats would be off by one, so the totals check catches a leak, not only the
 * dead-letter check.
 */
export class PoisonFactory {
  private n = 0;

  constructor(private readonly runId: string) {}

  next(near: NowcastEvent, nowMs: number): PoisonMessage {
    const kind = KINDS[this.n % KINDS.length];
    const eventId = `poison-${this.runId}-${kind}-${this.n++}`;
    const streamId = 'streamId' in near.data ? near.data.streamId : 'no-such-stream';
    const chat = {
      eventId,
      type: 'chat.message',
      schemaVersion: 1,
      occurredAt: nowMs,
      data: { userId: `poison-user-${this.n}`, streamId },
    };
    const key = streamId;
    switch (kind) {
      case 'not-json':
        return { kind, eventId, key, value: `{"eventId":"${eventId}","type":"chat.message",` };
      case 'wrong-schema':
        return { kind, eventId, key, value: JSON.stringify({ ...chat, data: { streamId } }) };
      case 'unknown-type':
        return { kind, eventId, key, value: JSON.stringify({ ...chat, type: 'chat.shouted' }) };
      case 'oversized':
        return {
          kind,
          eventId,
          key,
          value: JSON.stringify({ ...chat, padding: 'x'.repeat(OVERSIZED_PAD_CHARS) }),
        };
      case 'far-future':
        return { kind, eventId, key, value: JSON.stringify({ ...chat, occurredAt: nowMs + 24 * HOUR_MS }) };
      case 'far-past':
        return {
          kind,
          eventId,
          key,
          value: JSON.stringify({ ...chat, occurredAt: nowMs - 30 * 24 * HOUR_MS }),
        };
    }
  }
}
