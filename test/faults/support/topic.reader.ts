import { Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/** A reader that has not reached the topic's end by then has stopped making progress, ms. */
const READ_TIMEOUT_MS = 120_000;

/**
 * Reads a whole topic from the beginning with a throwaway group, read_committed (what a
 * downstream consumer sees of the enricher's transactions), up to the end offsets the topic had
 * when the read began. Only for settled topics: nothing may still be produced to it.
 *
 * Done = every partition's position reached its end offset (kafkajs reports each fetched batch's
 * last offset, transaction markers and aborted records included), not "no record for a while":
 * a fetch slower than that while on a loaded machine ended the read early and counted records lost.
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  onMessage: (message: KafkaMessage, partition: number) => void,
): Promise<number> {
  const kafka = new Kafka({ clientId: 'faults-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  // partition -> end offset still to reach (empty partitions are read already)
  const behind = new Map(
    ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
  );
  if (behind.size === 0) return 0;
  const consumer = kafka.consumer({
    groupId: `faults-reader-${randomUUID()}`,
    maxBytes: 16 << 20,
    // the read ends on offsets, not on an empty fetch: short polls let disconnect() return at once
    maxWaitTimeInMs: 100,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const end = behind.get(payload.partition);
    if (payload.topic === topic && end !== undefined && BigInt(payload.lastOffset) + 1n >= end)
      behind.delete(payload.partition);
  });
  let count = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) onMessage(message, batch.partition);
        count += batch.messages.length;
        await Promise.resolve();
      },
    });
    const deadline = Date.now() + READ_TIMEOUT_MS;
    while (behind.size > 0) {
      if (Date.now() > deadline)
        throw new Error(
          `reader of ${topic} did not reach the end of partition(s) ${[...behind.keys()].join(',')} ` +
            `within ${READ_TIMEOUT_MS} ms (${count} records read)`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return count;
}

/**
 * Resolves true once `groupId` has committed every partition of `topic` up to the end it has now
 * (a transactional consumer commits with its outputs: they are all in their topics then), false
 * after `timeoutMs`.
 */
export async function waitUntilConsumed(
  brokers: string[],
  groupId: string,
  topic: string,
  timeoutMs: number,
): Promise<boolean> {
  const admin = new Kafka({ clientId: 'faults-reader', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // a transient answer (NOT_COORDINATOR on a starved machine) is polled again, not a failure
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] }).catch(() => [undefined]);
      const at = new Map(committed?.partitions.map((p) => [p.partition, BigInt(p.offset)]));
      if (
        committed &&
        ends.every((e) => BigInt(e.high) <= BigInt(e.low) || (at.get(e.partition) ?? -1n) >= BigInt(e.high))
      )
        return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await admin.disconnect();
  }
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

export interface EnrichedCopies {
  /** eventId -> how many times it is in the topic (read_committed). */
  counts: Map<string, number>;
  /** For eventIds there more than once: where each copy is (`p<partition>@<offset> <CreateTime ISO>`). */
  duplicates: Map<string, string[]>;
}

/** How often each eventId occurs in the enriched topic (a record without one counts under ""). */
export async function enrichedEventIds(brokers: string[], topic: string): Promise<EnrichedCopies> {
  const counts = new Map<string, number>();
  const firstCopy = new Map<string, string>();
  const duplicates = new Map<string, string[]>();
  await readTopic(brokers, topic, (message, partition) => {
    let id = '';
    try {
      const parsed = JSON.parse(message.value?.toString('utf8') ?? '') as { eventId?: unknown };
      if (typeof parsed.eventId === 'string') id = parsed.eventId;
    } catch {
      id = '';
    }
    const n = (counts.get(id) ?? 0) + 1;
    counts.set(id, n);
    // where the copies are (a diagnosis of a count-twice failure starts there)
    const where = `p${partition}@${message.offset} ${new Date(Number(message.timestamp)).toISOString()}`;
    if (n === 1) firstCopy.set(id, where);
    else duplicates.set(id, [...(duplicates.get(id) ?? [firstCopy.get(id)!]), where]);
  });
  return { counts, duplicates };
}
