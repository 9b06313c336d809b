import { partitionKeyOf } from '@app/contracts';
import { BatchingProducer, createKafka, ensureTopics } from '@app/kafka';
import { MarketplaceSimulator } from '@app/simulator';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { startAllocationSampling } from './alloc-profile';
import { AggregatorTopics } from '../apps/metrics-aggregator/src/aggregation/aggregator-topics';
import {
  DEFAULT_AGGREGATOR_SETTINGS,
  ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
} from '../apps/metrics-aggregator/src/aggregation/aggregator.settings';
import { APPLY_MAX_EVENTS } from '../apps/metrics-aggregator/src/stream-metrics/enriched-batch.handler';
import { startStandaloneAggregator } from '../apps/metrics-aggregator/src/runtime/standalone-aggregator';
import { RedisAggregateStateRepository } from '../apps/metrics-aggregator/src/state/redis-aggregate-state.repository';
import { EnrichedEventFactory } from '../apps/metrics-aggregator/src/test-support/enriched-events.factory';
import { measureFeedLatency } from '../apps/metrics-aggregator/src/test-support/feed-latency.probe';

/**
 * Throughput of the metrics aggregator with real Kafka and Redis:
 *   npm run bench -- aggregator --brokers 127.0.0.1:9092 --redis redis://127.0.0.1:6379
 *     [--events 300000] [--partitions 6] [--runs 3] [--concurrency 6] [--latency 500] [--reuse id]
 *     [--batch-events N] [--keep-topics] [--alloc-profile file.heapprofile]
 * Pre-loads N enriched simulator events into a fresh topic, then runs the aggregator's pipeline
 * (parse, fold, one Lua apply per chunk of a batch, change feed) from a fresh group and key prefix,
 * and reports events/s from start (group join included) and from the first batch's arrival to the
 * last offset applied. Keys are deleted after each run, the topics at the end (unless
 * --keep-topics, for a later --reuse).
 * --batch-events N: at most N events per apply script call (the handler's applyMaxEvents; default
 * APPLY_MAX_EVENTS = 2,048). The mesh, caught up at a few thousand events/s, applies small Kafka
 * batches (~64 events per call); N = 64 reproduces that per-call shape (consecutive events of one
 * partition per call, so most streams of a call have one or two events) while the fetches stay
 * large, so the Redis figure is the mesh's and the node figure is a lower bound of the mesh's.
 * CPU per event: this process (the aggregator: kafkajs fetch, parse, fold, encode, ioredis) from
 * process.cpuUsage, and the Redis server's from INFO (used_cpu_user + used_cpu_sys; on a shared
 * Redis this includes everyone else's load, so it is an upper bound: pass a Redis of your own for a
 * clean figure), the commands Redis executed per event (INFO commandstats, script-inner calls
 * included; same caveat) and the 1-minute load average. With --latency N: after the runs, N
 * stream starts and N chats produced in real time on fresh topics, and the time until each is in
 * the change feed (test-support/feed-latency.probe.ts).
 * --alloc-profile <file>: V8's sampling heap profile of the first run, garbage included (what the
 * young-generation GCs sweep), written to <file>; the largest allocation sites are reported.
 */
function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

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

/** Redis server CPU time so far, microseconds (INFO cpu). */
async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** Commands the Redis server executed so far, scripts' inner calls included (INFO commandstats). */
async function redisCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (match[1] !== 'info') calls += Number(match[2]);
  return calls;
}

interface RunOptions {
  brokers: string[];
  redisUrl: string;
  topics: AggregatorTopics;
  events: number;
  concurrency: number;
  fetch: { maxBytes?: number; maxBytesPerPartition?: number };
  /** Most events per apply script call. */
  applyMaxEvents: number;
  /** Where to write the run's allocation profile ('' = none). */
  allocProfile: string;
}

async function oneRun(options: RunOptions) {
  const { brokers, redisUrl, topics, events, concurrency, fetch, applyMaxEvents, allocProfile } = options;
  const redis = new Redis(redisUrl, { keyPrefix: `bench-agg-${randomUUID().slice(0, 8)}:` });
  const settings = DEFAULT_AGGREGATOR_SETTINGS;
  const repository = new RedisAggregateStateRepository(redis, settings);
  let applied = 0;
  let batches = 0;
  // script calls: the handler splits a batch of n events into ceil(n / applyMaxEvents) equal chunks
  let applyCalls = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = performance.now();
  // arrival of the first batch (before it is handled): excludes the group join and first fetch
  let firstBatchAt = 0;
  let end = 0;
  // Kafka batches fully handled, their events, and the script calls they took
  let batchedEvents = 0;
  let counted = { applied: 0, batches: 0, batchedEvents: 0, applyCalls: 0 };
  const redisCpu0 = await redisCpuUs(redis);
  const calls0 = await redisCalls(redis);
  // peak resident memory of this process during the run, sampled every 50 ms (MiB)
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  const stopSampling = allocProfile ? startAllocationSampling(allocProfile) : null;
  const cpu0 = process.cpuUsage();
  const aggregator = await startStandaloneAggregator({
    brokers,
    redis,
    topics,
    groupId: `bench-agg-${randomUUID()}`,
    settings,
    sweeper: false,
    partitionsConsumedConcurrently: concurrency,
    applyMaxEvents,
    ...fetch,
    onBatchStart: () => {
      if (firstBatchAt === 0) firstBatchAt = performance.now();
    },
    onBatch: (batch) => {
      if (end > 0) return;
      batches++;
      batchedEvents += batch.messages.length;
      applyCalls += Math.ceil(batch.messages.length / applyMaxEvents);
    },
    // events counted as each chunk is applied (a batch is applied in chunks): the run ends at the
    // chunk that reaches `events`, not at the end of its Kafka batch
    counters: {
      consumed: (_type, n) => {
        applied += n;
        if (applied >= events && end === 0) {
          end = performance.now();
          counted = { applied, batches, batchedEvents, applyCalls };
          done();
        }
      },
      deadLettered: () => undefined,
      late: () => undefined,
      duplicateBatch: () => undefined,
    },
  });
  await finished;
  const cpu = process.cpuUsage(cpu0);
  const allocationSites = stopSampling ? await stopSampling() : undefined;
  clearInterval(rssTimer);
  const redisCpu = (await redisCpuUs(redis)) - redisCpu0;
  const calls = (await redisCalls(redis)) - calls0;
  const load = loadavg()[0];
  await aggregator.stop();
  await repository.deleteAll();
  await redis.quit();
  return {
    eventsPerSec: Math.round((counted.applied * 1000) / (end - started)),
    eventsPerSecFromFirstBatch: Math.round((counted.applied * 1000) / (end - firstBatchAt)),
    meanBatch: Math.round(counted.batchedEvents / counted.batches),
    eventsPerApply: Math.round(counted.batchedEvents / counted.applyCalls),
    nodeCpuUsPerEvent: (cpu.user + cpu.system) / counted.applied,
    redisCpuUsPerEvent: redisCpu / counted.applied,
    redisCallsPerEvent: calls / counted.applied,
    loadAverage1m: load,
    peakRssMiB: Math.round(peakRss / 1024 / 1024),
    allocationSites,
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const brokers = arg(args, 'brokers', '127.0.0.1:9092').split(',');
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const events = Number(arg(args, 'events', '300000'));
  const partitions = Number(arg(args, 'partitions', '6'));
  const runs = Number(arg(args, 'runs', '3'));
  const concurrency = Number(arg(args, 'concurrency', String(ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY)));
  // --reuse <id>: the topics of an earlier run (printed as topicsId) are already preloaded
  const reuse = arg(args, 'reuse', '');
  const id = reuse || randomUUID().slice(0, 8);
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
  if (!reuse) await preload(brokers, topics.enriched, events);
  const results = [];
  // --fetch-mib / --partition-fetch-mib: the consumer's fetch sizes (default: the service's)
  const mib = (name: string): number | undefined =>
    arg(args, name, '') === '' ? undefined : Number(arg(args, name, '')) * 1024 * 1024;
  const fetch = { maxBytes: mib('fetch-mib'), maxBytesPerPartition: mib('partition-fetch-mib') };
  const applyMaxEvents = Number(arg(args, 'batch-events', String(APPLY_MAX_EVENTS)));
  const allocProfile = arg(args, 'alloc-profile', '');
  const options = { brokers, redisUrl, topics, events, concurrency, fetch, applyMaxEvents };
  // the first run only: the profile is one run's allocations
  for (let i = 0; i < runs; i++)
    results.push(await oneRun({ ...options, allocProfile: i === 0 ? allocProfile : '' }));
  const latencySamples = Number(arg(args, 'latency', '0'));
  let latency = {};
  if (latencySamples > 0) {
    const latencyTopics: AggregatorTopics = Object.fromEntries(
      Object.entries(topics).map(([k, v]) => [k, `${v}-latency`]),
    ) as unknown as AggregatorTopics;
    await ensureTopics({ brokers }, [
      { name: latencyTopics.enriched, partitions },
      { name: latencyTopics.raw, partitions },
      { name: latencyTopics.deadLetter, partitions: 1 },
      { name: latencyTopics.metricsStreams, partitions, compacted: true },
      { name: latencyTopics.stateFollows, partitions, compacted: true },
      { name: latencyTopics.watermarks, partitions: 1, compacted: true },
    ]);
    const redis = new Redis(redisUrl, { keyPrefix: `bench-agg-lat-${id}:` });
    try {
      latency = {
        latencyMs: await measureFeedLatency(
          brokers,
          redis,
          latencyTopics,
          DEFAULT_AGGREGATOR_SETTINGS,
          latencySamples,
        ),
      };
    } finally {
      await new RedisAggregateStateRepository(redis, DEFAULT_AGGREGATOR_SETTINGS).deleteAll();
      await redis.quit();
    }
  }
  // leave nothing behind on a shared broker (topics cost it CPU); groups are per run
  if (!args.includes('--keep-topics')) {
    const admin = createKafka({ brokers, clientId: 'aggregator-bench-admin' }).admin();
    await admin.connect();
    const names = [
      topics.enriched,
      topics.raw,
      topics.deadLetter,
      topics.metricsStreams,
      topics.stateFollows,
      topics.watermarks,
    ];
    const all = [...names, ...(latencySamples > 0 ? names.map((t) => `${t}-latency`) : [])];
    await admin.deleteTopics({ topics: all });
    await admin.disconnect();
  }
  return {
    topicsId: id,
    events,
    partitions,
    runs,
    concurrency,
    eventsPerSecMedian: median(results.map((r) => r.eventsPerSec)),
    eventsPerSecFromFirstBatchMedian: median(results.map((r) => r.eventsPerSecFromFirstBatch)),
    meanBatchMedian: median(results.map((r) => r.meanBatch)),
    batchEvents: applyMaxEvents,
    eventsPerApplyMedian: median(results.map((r) => r.eventsPerApply)),
    nodeCpuUsPerEventMedian: round1(median(results.map((r) => r.nodeCpuUsPerEvent))),
    redisCpuUsPerEventMedian: round1(median(results.map((r) => r.redisCpuUsPerEvent))),
    redisCallsPerEventMedian: round1(median(results.map((r) => r.redisCallsPerEvent))),
    loadAverage1m: results.map((r) => r.loadAverage1m.toFixed(1)).join(' '),
    peakRssMiB: Math.max(...results.map((r) => r.peakRssMiB)),
    perRun: results.map((r) => r.eventsPerSec).join(' '),
    perRunFromFirstBatch: results.map((r) => r.eventsPerSecFromFirstBatch).join(' '),
    nodeCpuUsPerEventPerRun: results.map((r) => r.nodeCpuUsPerEvent.toFixed(1)).join(' '),
    redisCpuUsPerEventPerRun: results.map((r) => r.redisCpuUsPerEvent.toFixed(1)).join(' '),
    ...(allocProfile ? { allocationSitesBytes: results[0].allocationSites } : {}),
    ...latency,
  };
}
