import { EventEnvelope } from '@app/contracts';
import { EventProducer } from '@app/kafka';
import { randomUUID } from 'node:crypto';
import { UserStateRepository } from '../user-state/user-state.repository';

export interface ErasureResult {
  userId: string;
  eventId: string;
  /** True once no state of the user remains (aggregator state, writer vector; Redis or memory). */
  reflected: boolean;
}

/** How often the erasure is checked while waiting, ms. */
const POLL_MS = 25;

/**
 * DELETE /v1/users/{id}: produces `user.erased` to the raw topic (the pipeline's own path, so
 * every service erases in order with the user's other events), then waits - bounded - until the
 * user's state is gone (Redis, or the one-process mode's memory). Raw and enriched logs keep the
 * user's events until their retention ages them out; compacted topics get tombstones from their
 * owners.
 */
export class ErasureService {
  constructor(
    private readonly producer: EventProducer,
    private readonly rawTopic: string,
    private readonly users: UserStateRepository,
    private readonly waitMs: number,
  ) {}

  async erase(userId: string): Promise<ErasureResult> {
    const event: EventEnvelope<'user.erased'> = {
      eventId: randomUUID(),
      type: 'user.erased',
      schemaVersion: 1,
      occurredAt: Date.now(),
      data: { userId },
    };
    await this.producer.send(this.rawTopic, [{ key: userId, value: JSON.stringify(event) }]);
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      if (!(await this.users.hasState(userId))) return { userId, eventId: event.eventId, reflected: true };
      if (Date.now() >= deadline) return { userId, eventId: event.eventId, reflected: false };
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
