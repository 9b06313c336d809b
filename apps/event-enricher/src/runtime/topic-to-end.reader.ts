import { KafkaConnectionOptions, KafkaInboundMessage, createKafka } from '@app/kafka';
import { randomUUID } from 'node:crypto';

export interface TopicReadOptions extends KafkaConnectionOptions {
  topic: string;
  /** Gives up if the end is not reached within this, ms. Default 120000. */
  timeoutMs?: number;
}

/**
 * Reads a topic from the beginning up to the high watermarks taken at the start (read committed),
 * handing each partition batch to `onBatch` in order, with a throwaway consumer group that is
 * deleted afterwards, so no real group's offsets move. Used by the DLQ tool and the rebuild.
 */
export async function readTopicToEnd(
  options: TopicReadOptions,
  onBatch: (partition: number, messages: KafkaInboundMessage[]) => Promise<void> | void,
): Promise<void> {
  const kafka = createKafka(options, 'reader');
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `nowcast-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, readUncommitted: false });
  try {
    const offsets = await admin.fetchTopicOffsets(options.topic);
    // next offset to reach per partition (control records count: lastOffset() includes them)
    const remaining = new Map(
      offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
    );
    if (remaining.size === 0) return;
    let finish: () => void = () => undefined;
    let fail: (error: unknown) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const timer = setTimeout(
      () => fail(new Error(`did not reach the end of ${options.topic} in time`)),
      options.timeoutMs ?? 120_000,
    );
    // Batches holding only transaction markers or aborted records never reach eachBatch: follow the
    // position through END_BATCH_PROCESS, which kafkajs emits for those too (lastOffset includes markers).
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const target = remaining.get(payload.partition);
      if (target === undefined || BigInt(payload.lastOffset) + 1n < target) return;
      remaining.delete(payload.partition);
      if (remaining.size === 0) finish();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const target = remaining.get(batch.partition);
        if (target === undefined) return;
        const messages = batch.messages
          .filter((m) => BigInt(m.offset) < target)
          .map((m) => ({
            offset: m.offset,
            key: m.key ?? null,
            value: m.value ?? null,
            headers: decode(m.headers),
            timestamp: Number(m.timestamp),
          }));
        if (messages.length > 0) await onBatch(batch.partition, messages);
      },
    });
    try {
      await done;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

function decode(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined) {
  const out: Record<string, string | undefined> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    out[name] = value === undefined ? undefined : value.toString();
  }
  return out;
}
