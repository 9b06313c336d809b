import { Logger, LoggerService } from '@nestjs/common';
import { testInfra, uniqueName } from '@app/testing';
import { CompactedRecord, CompactedTopicReader } from './compacted-topic.reader';
import { ensureTopics } from './topic-bootstrap.admin';
import { busyFor } from '../test-fixtures/busy-for';
import { rawKafka } from '../test-fixtures/kafka-test.helpers';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';

/** Keeps what the reader logs (Nest's Logger routes to the overriding service). */
class CapturingLogger implements LoggerService {
  readonly lines: unknown[] = [];
  log(message: unknown): void {
    this.lines.push(message);
  }
  error(): void {}
  warn(): void {}
}

describe('CompactedTopicReader against the real broker', () => {
  const infra = testInfra();
  const capture = new CapturingLogger();

  beforeAll(() => {
    Logger.overrideLogger(capture);
  });
  afterAll(() => {
    Logger.overrideLogger(new Logger());
  });

  it('applies every record from the beginning and logs the sampled traced ones as the last hop', async () => {
    const topic = uniqueName('compacted-reader');
    await ensureTopics({ brokers: infra.kafkaBrokers, clientId: topic }, [
      { name: topic, partitions: 2, compacted: true },
    ]);
    const producer = rawKafka(infra.kafkaBrokers).producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'a', value: '1', headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` } },
        { key: 'b', value: '2', headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-00` } },
        { key: 'c', value: null },
      ],
    });
    await producer.disconnect();

    const applied: CompactedRecord[] = [];
    const reader = new CompactedTopicReader(
      { kafka: { brokers: infra.kafkaBrokers, clientId: topic }, topic, groupIdPrefix: topic },
      (records) => void applied.push(...records),
    );
    try {
      await reader.start();
      expect(await reader.waitUntilCaughtUp(30_000)).toBe(true);
    } finally {
      await reader.stop();
    }

    expect(applied.map((r) => [r.key, r.value?.toString() ?? null]).sort()).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', null],
    ]);
    const traced = capture.lines.filter(
      (line): line is Record<string, unknown> =>
        typeof line === 'object' &&
        line !== null &&
        (line as { msg?: string }).msg === 'change-feed record applied',
    );
    // only the sampled one (flags 01); a child span of the producer's span
    expect(traced).toHaveLength(1);
    expect(traced[0]).toMatchObject({ topic, key: 'a', traceId: TRACE_ID, parentSpanId: PARENT_SPAN });
    expect(traced[0].spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(traced[0].spanId).not.toBe(PARENT_SPAN);
  });

  it('from its end: caught up at once, applies only what is appended after its start', async () => {
    const topic = uniqueName('compacted-from-end');
    await ensureTopics({ brokers: infra.kafkaBrokers, clientId: topic }, [
      { name: topic, partitions: 2, compacted: false },
    ]);
    const producer = rawKafka(infra.kafkaBrokers).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'old', value: 'before the start' }] });
    const applied: string[] = [];
    const reader = new CompactedTopicReader(
      { kafka: { brokers: infra.kafkaBrokers, clientId: topic }, topic, groupIdPrefix: topic, fromEnd: true },
      (records) => void applied.push(...records.map((r) => r.key)),
    );
    try {
      await reader.start();
      expect(reader.caughtUp).toBe(true);
      // the throwaway group settles on the end once it fetches: sent until one arrives
      for (let n = 0; applied.length === 0 && n < 100; n++) {
        await producer.send({ topic, messages: [{ key: `new-${n}`, value: 'after' }] });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await reader.stop();
      await producer.disconnect();
    }
    expect(applied.length).toBeGreaterThan(0);
    expect(applied).not.toContain('old');
  });

  it('lets the event loop turn between the costly batches of one fetch', async () => {
    const topic = uniqueName('compacted-yield');
    await ensureTopics({ brokers: infra.kafkaBrokers, clientId: topic }, [
      { name: topic, partitions: 4, compacted: true },
    ]);
    const producer = rawKafka(infra.kafkaBrokers).producer();
    await producer.connect();
    // every partition has records before the start, so the first fetch holds a batch of each
    await producer.send({
      topic,
      messages: Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `${i}` })),
    });
    await producer.disconnect();
    let batches = 0;
    let starved = 0;
    let loopTurned = true;
    const reader = new CompactedTopicReader(
      { kafka: { brokers: infra.kafkaBrokers, clientId: topic }, topic, groupIdPrefix: topic },
      () => {
        // had the loop not turned since the previous batch, the process's requests would have waited
        if (!loopTurned) starved += 1;
        loopTurned = false;
        setImmediate(() => (loopTurned = true));
        batches += 1;
        busyFor(12); // over the 10 ms budget, as a catch-up batch of HNSW updates
      },
    );
    try {
      await reader.start();
      expect(await reader.waitUntilCaughtUp(30_000)).toBe(true);
    } finally {
      await reader.stop();
    }
    expect(batches).toBeGreaterThanOrEqual(4);
    expect(starved).toBe(0);
  });

  it('starts on a topic created moments after it (metadata not settled yet) and reads it whole', async () => {
    const topic = uniqueName('compacted-fresh');
    const applied: CompactedRecord[] = [];
    const reader = new CompactedTopicReader(
      { kafka: { brokers: infra.kafkaBrokers, clientId: topic }, topic, groupIdPrefix: topic },
      (records) => void applied.push(...records),
    );
    // the reader asks for the topic before the broker knows it; the topic and its records follow
    const started = reader.start();
    try {
      await ensureTopics({ brokers: infra.kafkaBrokers, clientId: topic }, [
        { name: topic, partitions: 3, compacted: true },
      ]);
      const producer = rawKafka(infra.kafkaBrokers).producer();
      await producer.connect();
      await producer.send({ topic, messages: ['a', 'b', 'c', 'd'].map((key) => ({ key, value: key })) });
      await producer.disconnect();
      await started;
      // every record arrives, whether it was written before or after the reader's start offsets
      await waitFor(() => applied.length >= 4, 30_000);
    } finally {
      await reader.stop();
    }
    // every key, with its value; a record may come twice: when the topic's metadata settles while
    // the reader's throwaway group is joining, kafkajs rejoins and the group (which never commits)
    // reads from the start again. Applying a compacted record twice is idempotent (last value wins).
    expect([...new Set(applied.map((r) => r.key))].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const record of applied) expect(record.value?.toString()).toBe(record.key);
  });

  it('stops at once while it waits for a topic that does not exist yet (SIGTERM during start)', async () => {
    const topic = uniqueName('compacted-missing');
    const reader = new CompactedTopicReader(
      {
        kafka: { brokers: infra.kafkaBrokers, clientId: topic },
        topic,
        groupIdPrefix: topic,
        startupRetryMs: 120_000,
      },
      () => undefined,
    );
    const starting = reader.start();
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a few retries in
    const stopAt = Date.now();
    await reader.stop();
    // without the stop signal, stop() waited out the start's retries (startupRetryMs, 120 s); it
    // still waits for the request in flight (kafkajs retries it, ~1 s at most)
    expect(Date.now() - stopAt).toBeLessThan(8_000);
    await expect(starting).rejects.toThrow();
    expect(reader.caughtUp).toBe(false);
  });
});

/** Polls `ok` every 50 ms until it holds (true) or `timeoutMs` passes (false). */
async function waitFor(ok: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
