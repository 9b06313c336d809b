import { EnrichedEvent, parseStreamMetricsSnapshot, StreamMetricsSnapshot } from '@app/contracts';
import { testInfra, uniqueName } from '@app/testing';
import { Redis } from 'ioredis';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { AggregatorSettings, DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { StandaloneAggregator, startStandaloneAggregator } from '../runtime/standalone-aggregator';
import { RedisAggregateStateRepository } from '../state/redis-aggregate-state.repository';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { readTopic } from '../test-support/int-helpers';
import { createAggregatorTopics, produceEvents } from '../test-support/pipeline.helpers';
import { expiredEventId } from './expired-event-id';

describe('liveness and change feed (real Kafka + Redis)', () => {
  const { kafkaBrokers: brokers, redisUrl } = testInfra();
  const settings: AggregatorSettings = {
    ...DEFAULT_AGGREGATOR_SETTINGS,
    streamLeaseMs: 1_500,
    sweepIntervalMs: 200,
    coalesceMs: 50,
  };
  let topics: AggregatorTopics;
  let redis: Redis;
  let repo: RedisAggregateStateRepository;
  let aggregator: StandaloneAggregator;

  beforeEach(async () => {
    topics = await createAggregatorTopics(brokers, 2);
    redis = new Redis(redisUrl, { keyPrefix: `${uniqueName('agg-live')}:` });
    repo = new RedisAggregateStateRepository(redis, settings);
    aggregator = await startStandaloneAggregator({
      brokers,
      redis,
      topics,
      groupId: uniqueName('agg'),
      settings,
      // started by the test once the heartbeat is applied: the lease runs on the wall clock from the
      // events' times, and the produce/apply round trips before that may take longer than the lease
      sweeper: false,
    });
  });

  afterEach(async () => {
    await aggregator.stop();
    await repo.deleteAll();
    await redis.quit();
  });

  const liveIds = async (): Promise<string[]> => (await repo.readLive()).sort();
  const until = async (check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not reached in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('drops ended, removed and expired streams from the live set; the lease expiry goes to the raw topic', async () => {
    const f = new EnrichedEventFactory();
    const now = Date.now();
    const start: EnrichedEvent[] = ['a', 'b', 'c'].flatMap((id, i) => [
      f.started(id, now + i, `seller-${id}`, 'watches', 'en'),
      f.event('view.started', now + 10 + i, { userId: `u-${id}`, streamId: id }),
      f.event('chat.message', now + 20 + i, { userId: `u-${id}`, streamId: id }),
    ]);
    await produceEvents(brokers, topics.enriched, start);
    await until(async () => (await liveIds()).length === 3);
    await produceEvents(brokers, topics.enriched, [
      f.event('stream.ended', now + 100, { streamId: 'a' }),
      f.event('stream.removed', now + 100, { streamId: 'b', reason: 'takedown' }),
      f.event('stream.heartbeat', now + 200, { streamId: 'c' }),
    ]);
    await until(async () => (await liveIds()).join() === 'c');
    // c's heartbeat may sit on the other partition than a's and b's ends: wait for it too
    await until(async () => (await repo.readStreams(['c']))[0]?.lastActivityAt === now + 200);

    // c goes silent: the sweeper writes its deterministic expiry to the raw topic.
    aggregator.sweeper.start();
    const raw = await readTopic(brokers, topics.raw, (seen) => seen.length > 0);
    const expired = JSON.parse(raw[0].value ?? '') as {
      eventId: string;
      type: string;
      occurredAt: number;
      data: unknown;
    };
    expect(raw[0].key).toBe('c');
    expect(expired).toEqual({
      eventId: expiredEventId('c', now + 200),
      type: 'stream.expired',
      schemaVersion: 1,
      occurredAt: now + 200 + settings.streamLeaseMs,
      data: { streamId: 'c' },
    });
    // As the enricher would: the expiry comes back enriched, and c leaves the live set.
    await produceEvents(brokers, topics.enriched, [
      f.event('stream.expired', expired.occurredAt, { streamId: 'c' }, expired.eventId),
    ]);
    await until(async () => (await liveIds()).length === 0);
    expect((await repo.readStreams(['c']))[0]).toMatchObject({ live: false, endReason: 'expired' });
    expect(await repo.readLive()).toEqual([]);

    // The change feed ends with a live: false record per stream, with its exact lifetime totals.
    const feed = await readTopic(brokers, topics.metricsStreams, (seen) => {
      const last = new Map(seen.map((r) => [r.key, r.value]));
      return ['a', 'b', 'c'].every((id) => last.get(id)?.includes('"live":false'));
    });
    const last = new Map<string, StreamMetricsSnapshot>(
      feed.map((r) => [r.key, parseStreamMetricsSnapshot(r.value)]),
    );
    expect(last.get('a')).toMatchObject({
      live: false,
      endReason: 'ended',
      lifetime: { chats: 1, uniqueViewers: 1 },
    });
    expect(last.get('b')).toMatchObject({ live: false, endReason: 'removed' });
    expect(last.get('c')).toMatchObject({ live: false, endReason: 'expired', endedAt: expired.occurredAt });
    // the flush writes the watermarks after it sent the snapshots the reader saw above
    let watermark = -Infinity;
    await until(async () => {
      watermark = Math.max(...(await repo.readWatermarks()).map((w) => w.eventTime));
      return watermark >= expired.occurredAt;
    }).catch(() => undefined); // the assertion below shows the value
    expect(watermark).toBe(expired.occurredAt);
  });
});
