import { Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/** No new record for this long after the group join = the (settled) topic has been read, ms. */
const IDLE_MS = 3_000;
const JOIN_TIMEOUT_MS = 60_000;

/**
 * Reads a whole topic from the beginning with a throwaway group, read_committed (what a
 * downstream consumer sees of the enricher's transactions), until it has been idle for a while.
 * Only for settled topics: nothing may still be produced to it.
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  onMessage: (message: KafkaMessage) => void,
): Promise<number> {
  const kafka = new Kafka({ clientId: 'faults-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `faults-reader-${randomUUID()}`, maxBytes: 16 << 20 });
  let count = 0;
  let lastAt = Date.now();
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    lastAt = Date.now();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) onMessage(message);
        count += batch.messages.length;
        lastAt = Date.now();
        await Promise.resolve();
      },
    });
    const joinDeadline = Date.now() + JOIN_TIMEOUT_MS;
    while (!joined || Date.now() - lastAt < IDLE_MS) {
      if (!joined && Date.now() > joinDeadline) throw new Error(`reader of ${topic} never joined its group`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await consumer.disconnect();
  }
  return count;
}

export interface DeadLetter {
  reason: string;
  value: string;
}

export async function readDeadLetters(brokers: string[], topic: string): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  await readTopic(brokers, topic, (message) => {
    out.push({
      reason: message.headers?.['x-error-reason']?.toString() ?? '',
      value: message.value?.toString('utf8') ?? '',
    });
  });
  return out;
}

/** How often each eventId occurs in the enriched topic (a record without one counts under ""). */
export async function enrichedEventIds(brokers: string[], topic: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await readTopic(brokers, topic, (message) => {
    let id = '';
    try {
      const parsed = JSON.parse(message.value?.toString('utf8') ?? '') as { eventId?: unknown };
      if (typeof parsed.eventId === 'string') id = parsed.eventId;
    } catch {
      id = '';
    }
    counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  return counts;
}
