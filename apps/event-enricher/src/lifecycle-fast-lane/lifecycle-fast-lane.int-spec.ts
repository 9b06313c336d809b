import { createKafka } from '@app/kafka';
import { testInfra } from '@app/testing';
import type { Producer } from 'kafkajs';
import {
  RunningEnricher,
  TopicCollector,
  eventually,
  isolatedEnricherEnv,
  startEnricher,
} from '../runtime/enricher-test.harness';
import { LifecycleFastLane } from './lifecycle-fast-lane';

const infra = testInfra();

function raw(eventId: string, type: string, data: object): { key: string; value: string } {
  const streamId = (data as { streamId?: string }).streamId ?? 'none';
  return {
    key: streamId,
    value: JSON.stringify({ eventId, type, schemaVersion: 1, occurredAt: Date.now() - 100, data }),
  };
}

const started = (streamId: string) =>
  raw(`start-${streamId}`, 'stream.started', {
    streamId,
    sellerId: 'seller-1',
    title: 'show',
    category: 'art',
    tags: [],
    language: 'en',
  });

describe('LifecycleFastLane (real Kafka): starts and ends written ahead of the transaction round', () => {
  let enricher: RunningEnricher;
  let producer: Producer;
  let fast: TopicCollector;
  let lifecycle: TopicCollector;

  beforeAll(async () => {
    // Redis unreachable: the transaction round cannot claim a single event, the lane needs none
    enricher = await startEnricher(
      isolatedEnricherEnv({ REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' }, infra),
    );
    if (!(await enricher.app.get(LifecycleFastLane).start())) throw new Error('the lane did not start');
    const { names } = enricher.config.topics;
    producer = createKafka({ brokers: infra.kafkaBrokers }, 'fast-lane-test').producer();
    await producer.connect();
    fast = await TopicCollector.start(infra.kafkaBrokers, names.streamLifecycleFast);
    lifecycle = await TopicCollector.start(infra.kafkaBrokers, names.streamLifecycle);
    // the lane starts at the end of the raw topic once it has joined: warm-up starts until one is through
    let n = 0;
    await eventually(
      async () => {
        await producer.send({ topic: names.raw, messages: [started(`warm-${n++}`)] });
        await new Promise((resolve) => setTimeout(resolve, 200));
        return fast.records.length > 0;
      },
      30_000,
      'the lane to pass a warm-up start',
    );
  }, 60_000);

  afterAll(async () => {
    await fast?.stop();
    await lifecycle?.stop();
    await producer?.disconnect();
    await enricher?.close();
  });

  it('writes the valid starts and ends of the raw topic, and nothing else, while the round stands still', async () => {
    const { names } = enricher.config.topics;
    const before = fast.records.length;
    await producer.send({
      topic: names.raw,
      messages: [
        started('st-a'),
        raw('chat-1', 'chat.sent', { userId: 'u-1', streamId: 'st-a', text: 'hello' }),
        { key: 'st-bad', value: '{"type":"stream.started","data":{}}' },
        raw('end-a', 'stream.ended', { streamId: 'st-a' }),
      ],
    });
    await eventually(() => fast.records.length >= before + 2, 20_000, 'the start and the end');
    await new Promise((resolve) => setTimeout(resolve, 500)); // anything else would be there by now
    const written = fast.json<{ streamId: string; eventId: string; live: boolean; startedAt?: number }>();
    expect(
      written.slice(before).map((r) => [r.streamId, r.eventId, r.live, r.startedAt === undefined]),
    ).toEqual([
      ['st-a', 'start-st-a', true, false],
      ['st-a', 'end-a', false, true],
    ]);
    expect(lifecycle.records).toHaveLength(0);
    expect(await enricher.app.get(LifecycleFastLane).start()).toBe(true);
  });
});
