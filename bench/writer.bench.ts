import { NowcastEvent, partitionKeyOf } from '@app/contracts';
import { BatchingProducer, KafkaBatchServer, OutboundMessage, ensureTopics } from '@app/kafka';
import { MarketplaceSimulator } from '@app/simulator';
import { StreamReplica } from '@app/vector-store';
import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as os from 'node:os';
import { deleteKafkaState } from './suite/infra';
import { embeddingWriterConsumer } from '../apps/embedding-writer/src/writer/embedding-writer.consumer';
import { EmbeddingWriterService } from '../apps/embedding-writer/src/writer/embedding-writer.service';
import {
  EmbeddingWriterStack,
  createEmbeddingWriterStack,
} from '../apps/embedding-writer/src/writer/embedding-writer.stack';

/**
 * The embedding-writer against a real broker and Redis:
 *   npm run bench -- writer --brokers 127.0.0.1:9092 --redis redis://127.0.0.1:6379
 *     [--events 300000] [--partitions 6] [--probes 300] [--runs 3] [--profile /tmp/writer.cpuprofile]
 *     [--event-loop-budget-ms 10] [--user-vector-ttl-sec 2592000]
 * throughput: N simulator events (enriched envelopes) pre-produced to a fresh topic, then consumed
 * by the writer (KafkaBatchServer -> model -> coalesced publishing to Kafka + Redis): events/s from
 * the first batch until every event is applied and flushed. Median of --runs. Also the event-loop
 * delay meanwhile (p99 and max, ms): how long health checks and timers wait while it catches up
 * (`--event-loop-budget-ms Infinity`: the transport never yields between batches, as before).
 * replica latency: a StreamReplica on the writer's stream feed; for each probe a stream.started,
 * then its stream.ended, produced one at a time: produce call -> upsert / delete applied in the
 * replica (p50/p99/max, ms).
 */
function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

const enrichedValue = (event: NowcastEvent) =>
  JSON.stringify({ ...event, enrichment: { ingestedAt: event.occurredAt } });

interface Rig {
  input: string;
  streams: string;
  stack: EmbeddingWriterStack;
  app: INestMicroservice;
  /** performance.now() when the first batch arrived (its handling began); null before. */
  firstBatchAt(): number | null;
  close(): Promise<void>;
}

/**
 * Every rig's id, for deleting its topics and group once the shared producer is closed (kafkajs
 * refreshes metadata of every topic a producer ever sent to: a deleted one fails its next send).
 */
const rigIds: string[] = [];

async function startRig(
  brokers: string[],
  redis: Redis,
  partitions: number,
  coalesceMs: number,
  eventLoopBudgetMs?: number,
  userVectorTtlSec?: number,
): Promise<Rig> {
  const id = randomUUID().slice(0, 8);
  const input = `bench-ew-${id}-in`;
  const streams = `bench-ew-${id}-streams`;
  const users = `bench-ew-${id}-users`;
  const watermarks = `bench-ew-${id}-wm`;
  const deadLetter = `bench-ew-${id}-dlq`;
  await ensureTopics({ brokers }, [
    { name: input, partitions },
    { name: streams, partitions, compacted: true },
    { name: users, partitions, compacted: true },
    { name: watermarks, partitions: 1, compacted: true },
    { name: deadLetter, partitions: 1 },
  ]);
  const groupId = `bench-ew-${id}`;
  rigIds.push(id);
  const stack = createEmbeddingWriterStack({
    brokers,
    redis,
    topics: { streams, users, watermarks, deadLetter },
    userKeyPrefix: `bench-ew-${id}:emb:user:`,
    coalesceMs,
    consumerGroup: groupId,
    ...(userVectorTtlSec === undefined ? {} : { userVectorTtlSec }),
  });
  @Module({
    controllers: [embeddingWriterConsumer(input)],
    providers: [{ provide: EmbeddingWriterService, useValue: stack.writer }],
  })
  class BenchWriterModule {}
  let firstBatchAt: number | null = null;
  const app = await NestFactory.createMicroservice(BenchWriterModule, {
    strategy: new KafkaBatchServer({
      brokers,
      groupId,
      maxBytesPerPartition: 4 * 1024 * 1024,
      eventLoopBudgetMs,
      observer: { onBatch: (_t, _p, _size, durationMs) => (firstBatchAt ??= performance.now() - durationMs) },
    }),
    logger: ['error'],
  });
  return {
    firstBatchAt: () => firstBatchAt,
    input,
    streams,
    stack,
    app,
    close: async () => {
      await app.close();
      await stack.close();
      await deleteKeys(redis, `bench-ew-${id}:*`);
    },
  };
}

/** Removes the run's user-vector keys (SCAN + UNLINK; never FLUSHALL a shared Redis). */
async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

async function produceAll(producer: BatchingProducer, topic: string, events: NowcastEvent[]): Promise<void> {
  const chunk = 2_000;
  const sends: Promise<void>[] = [];
  for (let i = 0; i < events.length; i += chunk) {
    const messages: OutboundMessage[] = events
      .slice(i, i + chunk)
      .map((e) => ({ key: partitionKeyOf(e), value: enrichedValue(e) }));
    sends.push(producer.send(topic, messages));
    // at most 100k unacknowledged (the producer refuses more than 200k waiting)
    if (sends.length >= 50) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
}

async function throughputRun(
  brokers: string[],
  redis: Redis,
  producer: BatchingProducer,
  events: NowcastEvent[],
  partitions: number,
  profilePath: string | undefined,
  eventLoopBudgetMs: number | undefined,
  userVectorTtlSec: number | undefined,
) {
  const rig = await startRig(brokers, redis, partitions, 100, eventLoopBudgetMs, userVectorTtlSec);
  const produceStarted = performance.now();
  await produceAll(producer, rig.input, events);
  process.stderr.write(
    `writer: produced ${events.length} in ${Math.round(performance.now() - produceStarted)} ms\n`,
  );
  // CPU and the profile from before the join (it mostly waits); the clock from the first batch's
  // arrival, taken when that batch ends. Polling for the first handled event instead started the
  // clock late whenever batches ran back to back without yielding to timers (no awaited commit
  // between them): most events were then done before the window, which counted only the tail.
  const cpuBefore = process.cpuUsage();
  const profile = profilePath ? await startCpuProfile() : undefined;
  // how long timers and I/O (health checks, heartbeats, the offset committer) wait while it catches up
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  await rig.app.listen();
  const handled = () => rig.stack.writer.stats.events + rig.stack.writer.stats.invalid;
  let lastLog = performance.now();
  while (handled() < events.length) {
    await new Promise((r) => setTimeout(r, 20));
    if (performance.now() - lastLog > 5000) {
      lastLog = performance.now();
      process.stderr.write(
        `writer: ${handled()} / ${events.length} events, ${JSON.stringify(rig.stack.writer.stats)}\n`,
      );
    }
  }
  await rig.stack.writer.flush(true);
  const seconds = (performance.now() - (rig.firstBatchAt() ?? performance.now())) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  loopDelay.disable();
  const eventLoopDelayMs = {
    p99: round(loopDelay.percentile(99) / 1e6),
    max: round(loopDelay.max / 1e6),
  };
  if (profile && profilePath) await profile.stop(profilePath);
  const stats = { ...rig.stack.writer.stats };
  await rig.close();
  const counted = events.length;
  // CPU of this process (the writer and its group join; the producer finished before), us per event
  const cpuUsPerEvent = (cpu.user + cpu.system) / counted;
  return { eventsPerSec: counted / seconds, seconds, cpuUsPerEvent, eventLoopDelayMs, stats };
}

/** A V8 CPU profile of this process over the measured window only (not the event generation). */
async function startCpuProfile(): Promise<{ stop(path: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (error, result) => (error ? reject(error) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    stop: async (path: string) => {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** A replica on a topic created a moment ago: retries while its partitions have no leader yet. */
async function startReplica(brokers: string[], topic: string): Promise<StreamReplica> {
  for (let attempt = 1; ; attempt++) {
    const replica = new StreamReplica({ kafka: { brokers }, topic, dimension: 128 });
    try {
      await replica.start();
      return replica;
    } catch (error) {
      await replica.stop().catch(() => undefined);
      if (attempt >= 10) throw error;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

async function latencyRun(brokers: string[], redis: Redis, producer: BatchingProducer, probes: number) {
  const rig = await startRig(brokers, redis, 6, 100);
  await rig.app.listen();
  const replica = await startReplica(brokers, rig.streams);
  await replica.waitUntilCaughtUp(30_000);
  const waiting = new Map<string, { deleted: boolean; at: number; resolve: () => void }>();
  replica.onChange((changes) => {
    for (const c of changes) {
      const w = waiting.get(c.streamId);
      if (w && w.deleted === c.deleted) {
        waiting.delete(c.streamId);
        w.resolve();
      }
    }
  });
  const measure = async (streamId: string, deleted: boolean, value: string): Promise<number> => {
    const at = performance.now();
    const applied = new Promise<void>((resolve) => waiting.set(streamId, { deleted, at, resolve }));
    await producer.send(rig.input, [{ key: streamId, value }]);
    await applied;
    return performance.now() - at;
  };
  const searchable: number[] = [];
  const gone: number[] = [];
  const now = Date.now();
  // a quiet join so the first probe does not pay for the group's first fetch
  await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < probes; i++) {
    const streamId = `probe-${i}`;
    const start: NowcastEvent = {
      eventId: randomUUID(),
      type: 'stream.started',
      schemaVersion: 1,
      occurredAt: now + i,
      data: {
        streamId,
        sellerId: `seller-${i % 50}`,
        title: `probe ${i}`,
        category: 'watches',
        tags: [],
        language: 'en',
      },
    };
    searchable.push(await measure(streamId, false, enrichedValue(start)));
    const end: NowcastEvent = {
      eventId: randomUUID(),
      type: 'stream.ended',
      schemaVersion: 1,
      occurredAt: now + i + 1,
      data: { streamId },
    };
    gone.push(await measure(streamId, true, enrichedValue(end)));
  }
  await replica.stop();
  await rig.close();
  const summary = (xs: number[]) => ({
    p50: round(quantile(xs, 0.5)),
    p99: round(quantile(xs, 0.99)),
    max: round(Math.max(...xs)),
  });
  return { probes, startedSearchableMs: summary(searchable), endedGoneMs: summary(gone) };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const brokers = arg(args, 'brokers', '127.0.0.1:9092').split(',');
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const total = Number(arg(args, 'events', '300000'));
  const partitions = Number(arg(args, 'partitions', '6'));
  const probes = Number(arg(args, 'probes', '300'));
  const runs = Number(arg(args, 'runs', '3'));
  // the transport's default unless given; Infinity = never yield between batches (before session 14)
  const eventLoopBudgetMs = args.includes('--event-loop-budget-ms')
    ? Number(arg(args, 'event-loop-budget-ms', '10'))
    : undefined;
  // EMBEDDING_USER_VECTOR_TTL_SEC (0 = none, Redis MSET); the deployed default unless given
  const userVectorTtlSec = args.includes('--user-vector-ttl-sec')
    ? Number(arg(args, 'user-vector-ttl-sec', '0'))
    : undefined;
  // --profile <path>: V8 CPU profile of each measured window, written to <path>.<run>
  const profile = args.includes('--profile') ? arg(args, 'profile', 'writer.cpuprofile') : undefined;
  // before anything of ours runs: the machine's background load
  const loadAtStart = os.loadavg().map((l) => round(l, 2));
  const redis = new Redis(redisUrl);
  const producer = new BatchingProducer({ brokers, clientId: 'bench-ew-producer' });
  try {
    const simulator = new MarketplaceSimulator({
      seed: 7,
      startTimeMs: Date.UTC(2026, 0, 1),
      ratePerSec: 2000,
    });
    const events = simulator.take(total);
    const throughput = [];
    for (let r = 0; r < runs; r++)
      throughput.push(
        await throughputRun(
          brokers,
          redis,
          producer,
          events,
          partitions,
          profile ? `${profile}.${r}` : undefined,
          eventLoopBudgetMs,
          userVectorTtlSec,
        ),
      );
    const rates = throughput.map((t) => t.eventsPerSec);
    const cpus = throughput.map((t) => t.cpuUsPerEvent);
    const latency = await latencyRun(brokers, redis, producer, probes);
    return {
      events: total,
      partitions,
      runs,
      userVectorTtlSec: userVectorTtlSec ?? 'default',
      eventsPerSecMedian: Math.round(quantile(rates, 0.5)),
      eventsPerSecRuns: rates.map(Math.round),
      cpuUsPerEventMedian: round(quantile(cpus, 0.5), 2),
      cpuUsPerEventRuns: cpus.map((c) => round(c, 2)),
      eventLoopDelayMsRuns: throughput.map((t) => t.eventLoopDelayMs),
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
      publishedPerRun: throughput[0].stats,
      replica: latency,
    };
  } finally {
    await producer.close();
    redis.disconnect();
    // a broker's metadata and log segments grow with every run's topics otherwise
    for (const id of rigIds.splice(0)) await deleteKafkaState(brokers, `bench-ew-${id}-`, [`bench-ew-${id}`]);
  }
}
