import { EventEmitter } from 'node:events';
import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import { CompactedRecord, CompactedTopicReader } from './compacted-topic.reader';

/**
 * kafkajs gives up on a consumer after a non-retriable error (CRASH with restart: false), which a
 * shared broker cannot be made to produce on demand: this fake client stands in for kafkajs so
 * the reader's reaction is checked. The reader against a real broker: compacted-topic.reader.int-spec.ts.
 */
class FakeConsumer extends EventEmitter {
  readonly events = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' } as const;
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | null = null;
  disconnected = false;
  readonly seeks: { partition: number; offset: string }[] = [];
  constructor(
    private readonly failRun: boolean,
    readonly config: ConsumerConfig,
  ) {
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
  seek = ({ partition, offset }: { partition: number; offset: string }): void => {
    this.seeks.push({ partition, offset });
  };
  join(): void {
    this.emit(this.events.GROUP_JOIN, { payload: { memberAssignment: { t: [0] } } });
  }
  crash(restart: boolean): void {
    const payload = { error: new Error('Not authorized'), groupId: 'g', restart };
    this.emit(this.events.CRASH, { payload });
  }
  deliver(offset: string, key: string, value: string): Promise<void> {
    const message = { key: Buffer.from(key), value: Buffer.from(value), offset, timestamp: '0' };
    return this.eachBatch!({
      batch: { topic: 't', partition: 0, highWatermark: String(Number(offset) + 1), messages: [message] },
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
    consumer: (config: ConsumerConfig) => {
      // the first consumer always runs; then `failRuns` replacements fail before one runs
      const consumer = new FakeConsumer(consumers.length > 0 && failures-- > 0, config);
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

  it('starts a new consumer, which goes on from where the last one was, caught up once it runs', async () => {
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
    consumers[1].join();
    expect(consumers[1].seeks).toEqual([{ partition: 0, offset: '1' }]);
    expect(reader.caughtUp).toBe(true); // nothing was written after offset 0
    // a fetch from before the seek: skipped, not applied again
    await consumers[1].deliver('0', 'a', '1');
    await consumers[1].deliver('1', 'a', '2');
    expect(applied.map((r) => r.value?.toString())).toEqual(['1', '2']);
    await reader.stop();
    expect(consumers[1].disconnected).toBe(true);
  });

  it('reads a partition again from its start when the topic was recreated (it ends before the position)', async () => {
    const { kafka, consumers } = fakeKafka(0);
    const applied: string[] = [];
    const reader = new CompactedTopicReader(
      options,
      (records) => void applied.push(...records.map((r) => r.value!.toString())),
      () => kafka,
    );
    await reader.start();
    for (const offset of ['0', '1', '2']) await consumers[0].deliver(offset, 'a', `old-${offset}`);
    await consumers[0].deliver('0', 'a', 'new-0'); // high watermark 1, before the position 3
    await consumers[0].deliver('1', 'a', 'new-1');
    expect(applied).toEqual(['old-0', 'old-1', 'old-2', 'new-0', 'new-1']);
    await reader.stop();
  });

  it('lets kafkajs restart its consumer until stopped, and disconnects one that joins after the stop', async () => {
    const { kafka, consumers } = fakeKafka(0);
    const reader = new CompactedTopicReader(
      options,
      () => undefined,
      () => kafka,
    );
    await reader.start();
    const restartOnFailure = consumers[0].config.retry!.restartOnFailure!;
    await expect(restartOnFailure(new Error('connection refused'))).resolves.toBe(true);
    await reader.stop();
    // a crash kafkajs handles while stop() disconnects: no restart after it
    await expect(restartOnFailure(new Error('connection refused'))).resolves.toBe(false);
    consumers[0].disconnected = false;
    consumers[0].join(); // a restart already under way joined after the stop
    expect(consumers[0].disconnected).toBe(true);
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
