import { partitionKeyOf } from '@app/contracts';
import { BatchingProducer, createKafka } from '@app/kafka';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { AggregatorSettings } from '../aggregation/aggregator.settings';
import { startStandaloneAggregator } from '../runtime/standalone-aggregator';
import { EnrichedEventFactory } from './enriched-events.factory';

export interface FeedLatency {
  /** stream.started produced -> its change-feed record consumed, ms. */
  lifecycleP50: number;
  lifecycleP99: number;
  /** A chat on a quiet stream produced -> the record with its new total consumed, ms. */
  metricsP50: number;
  metricsP99: number;
  samples: number;
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/**
 * Data latency of the aggregator alone (bench only): enriched events produced in real time, one
 * every `gapMs`, on fresh topics; a consumer of the metrics topic (maxWaitTime 5 ms, like a
 * reader of the feed) notes when each one is reflected. Lifecycle records go out at once; a chat
 * on a stream quiet for longer than the coalescing interval goes out with the next flush.
 */
export async function measureFeedLatency(
  brokers: string[],
  redis: Redis,
  topics: AggregatorTopics,
  settings: AggregatorSettings,
  samples: number,
  gapMs = 20,
): Promise<FeedLatency> {
  const aggregator = await startStandaloneAggregator({
    brokers,
    redis,
    topics,
    groupId: `bench-agg-latency-${randomUUID()}`,
    settings,
    sweeper: false,
  });
  const seen = new Map<string, number>();
  const consumer = createKafka({ brokers }, 'latency').consumer({
    groupId: `bench-agg-latency-feed-${randomUUID()}`,
    maxWaitTimeInMs: 5,
  });
  const producer = new BatchingProducer({ brokers, clientId: 'aggregator-latency', lingerMs: 0 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: topics.metricsStreams, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        const snapshot = JSON.parse(message.value?.toString() ?? '{}') as {
          streamId: string;
          lifetime?: { chats: number };
        };
        const key = `${snapshot.streamId}:${snapshot.lifetime?.chats ?? 0}`;
        if (!seen.has(key)) seen.set(key, Date.now());
        return Promise.resolve();
      },
    });
    await producer.connect();
    const f = new EnrichedEventFactory('lat');
    const sent = new Map<string, [kind: 'start' | 'chat', at: number]>();
    const send = async (kind: 'start' | 'chat', id: string, key: string): Promise<void> => {
      const event =
        kind === 'start'
          ? f.started(id, Date.now())
          : f.event('chat.message', Date.now(), { userId: 'latency-user', streamId: id });
      sent.set(key, [kind, Date.now()]);
      await producer.send(topics.enriched, [{ key: partitionKeyOf(event), value: JSON.stringify(event) }]);
    };
    // warm-up: the group joins and the first fetches happen before measuring
    await send('start', 'warm-up', 'warm-up:0');
    for (let wait = 0; !seen.has('warm-up:0') && wait < 30_000; wait += 50) await sleep(50);
    sent.clear();
    for (let i = 0; i < samples; i++) {
      const id = `lat-${i}`;
      await send('start', id, `${id}:0`);
      await sleep(gapMs);
      // the chat on stream i - 20, quiet for 20 gaps (well past the coalescing interval)
      if (i >= 20) await send('chat', `lat-${i - 20}`, `lat-${i - 20}:1`);
    }
    await sleep(1_000);
    const lifecycle: number[] = [];
    const metrics: number[] = [];
    for (const [key, [kind, at]] of sent) {
      const arrived = seen.get(key);
      if (arrived !== undefined) (kind === 'start' ? lifecycle : metrics).push(arrived - at);
    }
    lifecycle.sort((a, b) => a - b);
    metrics.sort((a, b) => a - b);
    return {
      lifecycleP50: quantile(lifecycle, 0.5),
      lifecycleP99: quantile(lifecycle, 0.99),
      metricsP50: quantile(metrics, 0.5),
      metricsP99: quantile(metrics, 0.99),
      samples: lifecycle.length + metrics.length,
    };
  } finally {
    await producer.close();
    await consumer.disconnect();
    await aggregator.stop();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
