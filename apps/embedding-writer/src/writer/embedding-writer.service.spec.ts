import { EventDataMap, EventType, SCHEMA_VERSION } from '@app/contracts';
import { HashingContentEmbeddingProvider } from '@app/embeddings';
import { KafkaBatch } from '@app/kafka';
import { parseTraceparent } from '@app/observability';
import { RecordingProducer } from '@app/testing';
import { Logger } from '@nestjs/common';
import {
  DEFAULT_EMBEDDING_MODEL_OPTIONS,
  EmbeddingModelService,
} from '../embedding-model/embedding-model.service';
import { EmbeddingPublisher } from '../publishing/embedding.publisher';
import { EmbeddingWriterService } from './embedding-writer.service';

const TOPICS = { streams: 'streams', users: 'users', watermarks: 'wm' };

let offset = 0;
function message<T extends EventType>(type: T, at: number, data: EventDataMap[T], traceparent?: string) {
  const value = { eventId: `e${offset}`, type, schemaVersion: SCHEMA_VERSION, occurredAt: at, data };
  return {
    offset: String(offset++),
    key: null,
    value: Buffer.from(JSON.stringify({ ...value, enrichment: { ingestedAt: at } })),
    headers: traceparent ? { traceparent } : {},
    timestamp: at,
  };
}
const batch = (messages: KafkaBatch['messages']): KafkaBatch => ({
  topic: 'enriched',
  partition: 0,
  messages,
  highWatermark: String(offset),
  heartbeat: () => Promise.resolve(),
});
const start = (streamId: string, at: number, traceparent?: string) =>
  message(
    'stream.started',
    at,
    { streamId, sellerId: 's1', title: 'watch night', category: 'watches', tags: [], language: 'en' },
    traceparent,
  );

const SAMPLED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const UNSAMPLED = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';

function writer(coalesceMs: number, awaitLifecycleFlush = false, userTopicMs = 0) {
  const producer = new RecordingProducer();
  const users = new Map<string, Float32Array>();
  const store = {
    write: (upserts: readonly { userId: string; vector: Float32Array }[], deletes: readonly string[]) => {
      for (const u of upserts) users.set(u.userId, new Float32Array(u.vector));
      for (const id of deletes) users.delete(id);
      return Promise.resolve();
    },
  };
  const model = new EmbeddingModelService({ ...DEFAULT_EMBEDDING_MODEL_OPTIONS, dimension: 16 });
  const service = new EmbeddingWriterService(
    model,
    new HashingContentEmbeddingProvider(16),
    new EmbeddingPublisher(producer, TOPICS, store, undefined, userTopicMs),
    producer,
    {
      serviceName: 'embedding-writer',
      coalesceMs,
      deadLetterTopic: 'dlq',
      consumerGroup: 'g',
      awaitLifecycleFlush,
    },
  );
  return { service, producer, users };
}

describe('EmbeddingWriterService', () => {
  afterEach(() => jest.restoreAllMocks());

  it('continues a sampled trace on the lifecycle record and logs one line per sampled event', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const { service, producer } = writer(60_000);
    await service.handleBatch(
      batch([
        start('traced', 1000, SAMPLED),
        start('unsampled', 1000, UNSAMPLED),
        start('untraced', 1000),
        message('chat.message', 1100, { userId: 'u1', streamId: 'traced' }, SAMPLED),
      ]),
    );
    await service.flush(true);
    const streams = producer.messages('streams');
    const traced = streams.find((m) => m.key === 'traced');
    const child = parseTraceparent(traced?.headers?.traceparent as string);
    expect(child).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', flags: 1 });
    expect(child?.spanId).not.toBe('b7ad6b7169203331');
    expect(streams.filter((m) => m.key !== 'traced').every((m) => m.headers === undefined)).toBe(true);
    expect(producer.messages('users').every((m) => m.headers === undefined)).toBe(true);
    // one line per sampled event (the start and the chat message), none for the others
    expect(log).toHaveBeenCalledTimes(2);
    expect(log.mock.calls[0][0]).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: child?.spanId,
      parentSpanId: 'b7ad6b7169203331',
      eventType: 'stream.started',
    });
    expect(log.mock.calls[1][0]).toMatchObject({ eventType: 'chat.message' });
  });

  it('publishes lifecycle changes at the end of their batch and coalesces the rest', async () => {
    const { service, producer, users } = writer(60_000, true);
    await service.handleBatch(batch([start('st1', 1000)]));
    await service.flush(true); // the first full flush (and its watermark)
    expect(
      producer.messages('wm').map((m) => JSON.parse(m.value as string) as { eventTime: number }),
    ).toEqual([expect.objectContaining({ eventTime: 1000, topic: 'enriched', partition: 0 })]);
    const before = producer.sent.length;
    await service.handleBatch(batch([message('view.started', 2000, { userId: 'u1', streamId: 'st1' })]));
    // within the coalescing interval: nothing published yet
    expect(producer.sent.length).toBe(before);
    expect(users.size).toBe(0);
    await service.handleBatch(batch([message('stream.ended', 3000, { streamId: 'st1' })]));
    // the tombstone went out with its batch; the user's vector still waits for the coalescing flush
    expect(producer.sent.slice(before).map((s) => [s.topic, s.message.key, s.message.value])).toEqual([
      ['streams', 'st1', null],
    ]);
    await service.flush(true);
    expect(users.has('u1')).toBe(true);
    expect(producer.messages('wm').at(-1)?.value).toContain('"eventTime":3000');
  });

  it('settles stale points only after a quiet period without batches, not between two batches', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    try {
      const { service } = writer(100);
      jest.spyOn(service.model, 'stale', 'get').mockReturnValue(2);
      const settle = jest.spyOn(service.model, 'settle').mockImplementation(() => undefined);
      service.start();
      // a batch every 300 ms (steady load): the ticks between them find nothing pending, yet settle nothing
      for (let i = 0; i < 5; i++) {
        await service.handleBatch(batch([]));
        jest.advanceTimersByTime(300);
      }
      expect(settle).not.toHaveBeenCalled();
      // quiet for the default max(1000, 10 x coalesceMs): the exact vectors go out
      jest.advanceTimersByTime(1_000);
      expect(settle).toHaveBeenCalled();
      await service.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('retries a failed background flush before applying the next batch (backpressure)', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { service, producer } = writer(0);
    const send = jest
      .spyOn(producer, 'send')
      .mockRejectedValueOnce(new Error('broker down'))
      .mockRejectedValueOnce(new Error('broker down'));
    await service.handleBatch(batch([start('st1', 1000)]));
    // the lifecycle flush and the background full flush (neither awaited) both fail
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(send).toHaveBeenCalledTimes(2);
    // the next batch retries first, and fails while the broker is down: nothing more is applied
    send.mockRejectedValueOnce(new Error('still down'));
    await expect(service.handleBatch(batch([start('st2', 2000)]))).rejects.toThrow('still down');
    expect(service.model.streams.get('st2')).toBeUndefined();
    // once it works again, nothing is lost: st1 is republished, then st2 is applied
    await service.handleBatch(batch([start('st2', 2000)]));
    await service.flush(true);
    expect(producer.messages('streams').map((m) => m.key)).toEqual(expect.arrayContaining(['st1', 'st2']));
  });

  it('holds user-topic records for their own interval, erases at once, and sends the rest at stop', async () => {
    const { service, producer, users } = writer(60_000, true, 60_000);
    await service.handleBatch(
      batch([
        start('st1', 1000),
        message('view.started', 2000, { userId: 'u1', streamId: 'st1' }),
        message('view.started', 2000, { userId: 'u2', streamId: 'st1' }),
      ]),
    );
    await service.flush(true);
    // Redis has both users at the coalescing flush; the topic waits for its interval
    expect([...users.keys()].sort()).toEqual(['u1', 'u2']);
    expect(producer.messages('users')).toEqual([]);
    await service.handleBatch(batch([message('user.erased', 3000, { userId: 'u1' })]));
    // the erasure is not held back: Redis and the topic tombstone u1 with its batch
    expect(users.has('u1')).toBe(false);
    expect(producer.messages('users')).toEqual([{ key: 'u1', value: null }]);
    await service.stop();
    // shutdown sends what waited: the topic ends with u2's latest vector, u1 stays tombstoned
    expect(producer.messages('users').map((m) => [m.key, m.value === null])).toEqual([
      ['u1', true],
      ['u2', false],
    ]);
    expect(service.stats.userRecords).toBe(2);
  });
});
