import { deleteKafkaState, deleteRedisPrefix } from './suite/infra';
import { NowcastEvent, partitionKeyOf } from '@app/contracts';
import { BatchingProducer, ensureTopics } from '@app/kafka';
import { MarketplaceSimulator } from '@app/simulator';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { isolatedEnricherEnv, startEnricher } from '../apps/event-enricher/src/runtime/enricher-test.harness';

/**
 * Throughput of event-enricher end to end with real Kafka and Redis:
 *   npm run infra:up
 *   npm run bench -- enricher --brokers 127.0.0.1:9092 --redis redis://127.0.0.1:6379 \
 *     [--events 200000] [--runs 3] [--partitions 6] [--concurrency 6] [--max-bytes 1048576]
 *     [--profile out.cpuprofile]   (CPU profile of the enricher phase only)
 * Each run pre-loads N simulator events into a fresh raw topic, then starts the enricher (Nest app,
 * transactional consumer, Redis dedupe + entity cache) and measures events/s from the first to the
 * last committed batch (transaction with enriched records + offsets). Fresh topics, group and
 * Redis prefix per run; the prefix's keys are deleted afterwards.
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

async function preload(
  brokers: string[],
  topic: string,
  partitions: number,
  events: NowcastEvent[],
): Promise<void> {
  await ensureTopics({ brokers }, [{ name: topic, partitions }]);
  const producer = new BatchingProducer({ brokers, maxBatchMessages: 2_000 });
  try {
    const sends: Promise<void>[] = [];
    for (let i = 0; i < events.length; i += 2_000) {
      sends.push(
        producer.send(
          topic,
          events.slice(i, i + 2_000).map((e) => ({ key: partitionKeyOf(e), value: JSON.stringify(e) })),
        ),
      );
    }
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
}

async function oneRun(
  args: string[],
  events: NowcastEvent[],
): Promise<{ eventsPerSec: number; batches: number; seconds: number; cpuUsPerEvent: number }> {
  const brokers = arg(args, 'brokers', '127.0.0.1:9092').split(',');
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const partitions = Number(arg(args, 'partitions', '6'));
  const env = isolatedEnricherEnv(
    {
      LOG_LEVEL: 'error',
      TOPIC_PARTITIONS: String(partitions),
      ENRICHER_PARTITIONS_CONCURRENTLY: arg(args, 'concurrency', '6'),
      ENRICHER_MAX_BYTES_PER_PARTITION: arg(args, 'max-bytes', String(1024 * 1024)),
    },
    { kafkaBrokers: brokers, redisUrl },
  );
  await preload(brokers, env.TOPIC_RAW, partitions, events);
  let handled = 0;
  let batches = 0;
  let firstAt = 0;
  let lastAt = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const profile = args.includes('--profile') ? arg(args, 'profile', 'enricher.cpuprofile') : null;
  const session = profile ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const enricher = await startEnricher(env);
  const cpuBefore = process.cpuUsage();
  enricher.consumer.observe({
    onBatch: (_topic, _partition, size, durationMs) => {
      if (batches++ === 0) firstAt = performance.now() - durationMs;
      handled += size;
      lastAt = performance.now();
      if (handled >= events.length) done();
    },
  });
  await finished;
  const cpu = process.cpuUsage(cpuBefore);
  if (session && profile) {
    const { profile: cpuProfile } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(cpuProfile));
    session.disconnect();
  }
  await enricher.close();
  await deleteRedisPrefix(redisUrl, env.REDIS_KEY_PREFIX);
  // the run's raw, enriched and dead-letter topics share the prefix
  await deleteKafkaState(brokers, env.TOPIC_RAW.replace(/raw$/, ''), [env.ENRICHER_GROUP_ID]);
  const seconds = (lastAt - firstAt) / 1000;
  return {
    eventsPerSec: Math.round(events.length / seconds),
    batches,
    seconds: Math.round(seconds * 100) / 100,
    // CPU of this process (the enricher; not the broker or Redis) per event: robust to a busy machine
    cpuUsPerEvent: Math.round(((cpu.user + cpu.system) / events.length) * 10) / 10,
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const count = Number(arg(args, 'events', '200000'));
  const runs = Number(arg(args, 'runs', '3'));
  const simulator = new MarketplaceSimulator({
    seed: 7,
    startTimeMs: Date.now() - 120_000,
    ratePerSec: 20_000,
  });
  const events = simulator.take(count);
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await oneRun(args, events));
  return {
    events: count,
    runs,
    eventsPerSecMedian: median(results.map((r) => r.eventsPerSec)),
    eventsPerSec: results.map((r) => r.eventsPerSec),
    meanBatch: Math.round(count / median(results.map((r) => r.batches))),
    secondsMedian: median(results.map((r) => r.seconds)),
    cpuUsPerEventMedian: median(results.map((r) => r.cpuUsPerEvent)),
  };
}
