import { partitionKeyOf } from '@app/contracts';
import { BatchingProducer, ensureTopics } from '@app/kafka';
import { MarketplaceSimulator } from '@app/simulator';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AggregatorTopics } from '../apps/metrics-aggregator/src/aggregation/aggregator-topics';
import { DEFAULT_AGGREGATOR_SETTINGS } from '../apps/metrics-aggregator/src/aggregation/aggregator.settings';
import { startStandaloneAggregator } from '../apps/metrics-aggregator/src/runtime/standalone-aggregator';
import { RedisAggregateStateRepository } from '../apps/metrics-aggregator/src/state/redis-aggregate-state.repository';
import { EnrichedEventFactory } from '../apps/metrics-aggregator/src/test-support/enriched-events.factory';

/**
 * Throughput of the metrics aggregator with real Kafka and Redis:
 *   npm run bench -- aggregator --brokers 127.0.0.1:9092 --redis redis://127.0.0.1:6379
 *     [--events 300000] [--partitions 6] [--runs 3] [--concurrency 2]
 * Pre-loads N enriched simulator events into a fresh topic, then runs the aggregator's pipeline
 * (parse, fold, one Lua apply per batch, change feed) from a fresh group and key prefix, and
 * reports events/s from start to the last offset applied. Keys are deleted after each run.
 */
function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function preload(brokers: string[], topic: string, count: number): Promise<void> {
  const sim = new MarketplaceSimulator({ seed: 7, startTimeMs: Date.now() - 3_600_000, ratePerSec: 2_000 });
  const factory = new EnrichedEventFactory('bench');
  const producer = new BatchingProducer({
    brokers,
    clientId: 'aggregator-bench',
    lingerMs: 5,
    maxBatchMessages: 2_000,
  });
  try {
    const chunk = 1_000;
    for (let done = 0; done < count; done += chunk) {
      const events = sim.take(Math.min(chunk, count - done)).map((e) => factory.enrich(e));
      await producer.send(
        topic,
        events.map((event) => ({ key: partitionKeyOf(event), value: JSON.stringify(event) })),
      );
    }
  } finally {
    await producer.close();
  }
}

async function oneRun(
  brokers: string[],
  redisUrl: string,
  topics: AggregatorTopics,
  events: number,
  concurrency: number,
) {
  const redis = new Redis(redisUrl, { keyPrefix: `bench-agg-${randomUUID().slice(0, 8)}:` });
  const settings = DEFAULT_AGGREGATOR_SETTINGS;
  const repository = new RedisAggregateStateRepository(redis, settings);
  let applied = 0;
  let batches = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = performance.now();
  let firstBatchAt = 0;
  const aggregator = await startStandaloneAggregator({
    brokers,
    redis,
    topics,
    groupId: `bench-agg-${randomUUID()}`,
    settings,
    sweeper: false,
    partitionsConsumedConcurrently: concurrency,
    onBatch: (batch) => {
      if (batches++ === 0) firstBatchAt = performance.now();
      applied += batch.messages.length;
      if (applied >= events) done();
    },
  });
  await finished;
  const end = performance.now();
  await aggregator.stop();
  await repository.deleteAll();
  await redis.quit();
  return {
    eventsPerSec: Math.round((events * 1000) / (end - started)),
    eventsPerSecFromFirstBatch: Math.round((events * 1000) / (end - firstBatchAt)),
    meanBatch: Math.round(events / batches),
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const brokers = arg(args, 'brokers', '127.0.0.1:9092').split(',');
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const events = Number(arg(args, 'events', '300000'));
  const partitions = Number(arg(args, 'partitions', '6'));
  const runs = Number(arg(args, 'runs', '3'));
  const concurrency = Number(arg(args, 'concurrency', '2'));
  const id = randomUUID().slice(0, 8);
  const topics: AggregatorTopics = {
    enriched: `bench-agg-enriched-${id}`,
    raw: `bench-agg-raw-${id}`,
    deadLetter: `bench-agg-dlq-${id}`,
    metricsStreams: `bench-agg-metrics-${id}`,
    stateFollows: `bench-agg-follows-${id}`,
    watermarks: `bench-agg-watermarks-${id}`,
  };
  await ensureTopics({ brokers }, [
    { name: topics.enriched, partitions },
    { name: topics.raw, partitions },
    { name: topics.deadLetter, partitions: 1 },
    { name: topics.metricsStreams, partitions, compacted: true },
    { name: topics.stateFollows, partitions, compacted: true },
    { name: topics.watermarks, partitions: 1, compacted: true },
  ]);
  await preload(brokers, topics.enriched, events);
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await oneRun(brokers, redisUrl, topics, events, concurrency));
  return {
    events,
    partitions,
    runs,
    concurrency,
    eventsPerSecMedian: median(results.map((r) => r.eventsPerSec)),
    eventsPerSecFromFirstBatchMedian: median(results.map((r) => r.eventsPerSecFromFirstBatch)),
    meanBatchMedian: median(results.map((r) => r.meanBatch)),
    perRun: results.map((r) => r.eventsPerSec).join(' '),
  };
}
