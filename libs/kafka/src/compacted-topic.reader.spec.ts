import { EventEmitter } from 'node:events';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { CompactedRecord, CompactedTopicReader } from './compacted-topic.reader';

/**
 * kafkajs gives up on a consumer after a non-retriable error (CRASH with restart: false), which a
 * shared broker cannot be made to produce on demand: this fake client stands in for kafkajs so
 * the reader's reaction is checked. The reader against a real broker: compacted-topic.reader.int-spec.ts.
 */
class FakeConsumer extends EventEmitter {
  readonly events = { CRASH: 'consumer.crash' } as const;
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | null = null;
  disconnected = false;
  constructor(private readonly failRun: boolean) {
    super();
  }
  connect = (): Promise<void> => Promise.resolve();
  subscribe = (): Promise<void> => Promise.resolve();
  run = ({ eachBatch }: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void> => {
    if (this.failRun) return Promise.reject(new Error('broker still down'));
    this.eachBatch = eachBatch;
    return Promise.resolve();
  };
  disconnect = (): Promise<void> => {
    this.disconnected = true;
    return Promise.resolve();
  };
  crash(restart: boolean): void {
    const payload = { error: new Error('Not authorized'), groupId: 'g', restart };
    this.emit(this.events.CRASH, { payload });
  }
  deliver(offset: string, key: string, value: string): Promise<void> {
    const message = { key: Buffer.from(key), value: Buffer.from(value), offset, timestamp: '0' };
    return this.eachBatch!({
      batch: { topic: 't', partition: 0, messages: [message] },
    } as unknown as EachBatchPayload);
  }
}

function fakeKafka(failRuns: number): { kafka: Kafka; consumers: FakeConsumer[] } {
  const consumers: FakeConsumer[] = [];
  let failures = failRuns;
  const admin = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    deleteGroups: () => Promise.resolve([]),
    fetchTopicOffsets: () => Promise.resolve([{ partition: 0, low: '0', high: '1', offset: '1' }]),
  };
  const kafka = {
    admin: () => admin,
    consumer: () => {
      // the first consumer always runs; then `failRuns` replacements fail before one runs
      const consumer = new FakeConsumer(consumers.length > 0 && failures-- > 0);
      consumers.push(consumer);
      return consumer as unknown as Consumer;
    },
  } as unknown as Kafka;
  return { kafka, consumers };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe('CompactedTopicReader when kafkajs gives up on its consumer', () => {
  const options = { kafka: { brokers: ['fake:9092'] }, topic: 't', groupIdPrefix: 'reader' };

  it('starts a new consumer, which reads the topic again, and is not caught up until it runs', async () => {
    const { kafka, consumers } = fakeKafka(0);
    const applied: CompactedRecord[] = [];
    const reader = new CompactedTopicReader(
      options,
      (records) => void applied.push(...records),
      () => kafka,
    );
    await reader.start();
    await consumers[0].deliver('0', 'a', '1');
    expect(reader.caughtUp).toBe(true);

    consumers[0].crash(true); // kafkajs restarts this one itself
    expect(consumers).toHaveLength(1);

    consumers[0].crash(false);
    await until(() => consumers.length === 2 && consumers[1].eachBatch !== null);
    expect(consumers[0].disconnected).toBe(true);
    expect(reader.replacements).toBe(1);
    await consumers[1].deliver('0', 'a', '2');
    expect(applied.map((r) => r.value?.toString())).toEqual(['1', '2']);
    expect(reader.caughtUp).toBe(true);
    await reader.stop();
    expect(consumers[1].disconnected).toBe(true);
  });

  it('retries a replacement that fails, and a stop ends the retries at once', async () => {
    const { kafka, consumers } = fakeKafka(Infinity);
    const reader = new CompactedTopicReader(
      options,
      () => undefined,
      () => kafka,
    );
    await reader.start();
    await consumers[0].deliver('0', 'a', '1');
    consumers[0].crash(false);
    await until(() => consumers.length >= 3);
    expect(reader.caughtUp).toBe(false);
    const stopping = Date.now();
    await reader.stop();
    expect(Date.now() - stopping).toBeLessThan(1_500); // not after the pending backoff (1.6-2.4 s)
    expect(consumers.every((c) => c.disconnected)).toBe(true);
  });
});
