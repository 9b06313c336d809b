import { EnrichedEvent, partitionKeyOf } from '@app/contracts';
import { MarketplaceSimulator } from '@app/simulator';
import { Redis } from 'ioredis';
import { Partitioners } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { DEFAULT_AGGREGATOR_SETTINGS } from '../apps/metrics-aggregator/src/aggregation/aggregator.settings';
import { BatchFoldService } from '../apps/metrics-aggregator/src/aggregation/batch-fold.service';
import { BatchUpdate, PartitionProgress } from '../apps/metrics-aggregator/src/aggregation/batch-update';
import { RedisAggregateStateRepository } from '../apps/metrics-aggregator/src/state/redis-aggregate-state.repository';
import { EnrichedEventFactory } from '../apps/metrics-aggregator/src/test-support/enriched-events.factory';
import { arg } from './cli-args';
import { deleteRedisPrefix } from './suite/infra';
import { median, round } from './suite/percentiles';

/**
 * The aggregator's apply script alone, timed by Redis itself: the same simulator events (seed 7),
 * placed on `--partitions` partitions by Kafka's partitioner, folded in calls of `--batch-events`
 * consecutive events of one partition (the mesh's caught-up shape: ~64) and applied one call at a
 * time to a fresh key prefix, `--runs` times. No Kafka, no change feed, no concurrency: what is
 * left is the script's server-side time per event from INFO commandstats, split into the commands
 * it calls (their own execution) and the rest (Lua, each redis.call's conversions, the script's
 * arguments): the figure to compare when the script changes. Use a Redis of your own (the stats
 * are reset before each run).
 *   npm run bench -- apply-script --redis redis://127.0.0.1:6390 [--events 150000] [--runs 3]
 */
/** The simulator's events as the aggregator's partitions receive them, in offset order. */
function partitioned(events: number, partitions: number): EnrichedEvent[][] {
  const sim = new MarketplaceSimulator({ seed: 7, startTimeMs: Date.now() - 3_600_000, ratePerSec: 2_000 });
  const factory = new EnrichedEventFactory('bench');
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const byPartition = Array.from({ length: partitions }, () => [] as EnrichedEvent[]);
  for (const raw of sim.take(events)) {
    const event = factory.enrich(raw);
    const p = partitioner({
      topic: 'enriched',
      partitionMetadata,
      message: { key: partitionKeyOf(event), value: null },
    });
    byPartition[p].push(event);
  }
  return byPartition;
}

interface ScriptStats {
  scriptUs: number;
  innerUs: number;
  innerCalls: number;
}

async function scriptStats(redis: Redis): Promise<ScriptStats> {
  const stats: ScriptStats = { scriptUs: 0, innerUs: 0, innerCalls: 0 };
  for (const match of (await redis.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm,
  )) {
    const [, name, calls, usec] = match;
    if (name === 'evalsha' || name === 'eval') stats.scriptUs += Number(usec);
    else if (!/^(info|config|scan|unlink|ping|select|client)/.test(name)) {
      stats.innerUs += Number(usec);
      stats.innerCalls += Number(calls);
    }
  }
  return stats;
}

async function applyAll(
  repository: RedisAggregateStateRepository,
  byPartition: EnrichedEvent[][],
  batchEvents: number,
): Promise<{ calls: number; streams: number; users: number }> {
  const fold = new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS);
  const counted = { calls: 0, streams: 0, users: 0 };
  for (let p = 0; p < byPartition.length; p++) {
    const events = byPartition[p];
    let progress: PartitionProgress = { offset: null, maxEventTime: 0 };
    for (let start = 0; start < events.length; start += batchEvents) {
      const messages = events
        .slice(start, start + batchEvents)
        .map((event, i) => ({ offset: String(start + i), event }));
      const update = fold.fold('enriched', p, messages, progress) as BatchUpdate;
      const outcome = await repository.applyBatch(update);
      if (outcome.status !== 'applied') throw new Error(`batch ${p}@${start} not applied: ${outcome.status}`);
      progress = { offset: update.lastOffset, maxEventTime: update.maxEventTime };
      counted.calls++;
      counted.streams += update.streams.length;
      counted.users += update.users.length;
    }
  }
  return counted;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6390');
  const events = Number(arg(args, 'events', '150000'));
  const runs = Number(arg(args, 'runs', '3'));
  const partitions = Number(arg(args, 'partitions', '6'));
  const batchEvents = Number(arg(args, 'batch-events', '64'));
  const byPartition = partitioned(events, partitions);
  const admin = new Redis(redisUrl);
  const perRun: { scriptUs: number; innerUs: number; luaUs: number; innerCalls: number }[] = [];
  let shape = { calls: 0, streams: 0, users: 0 };
  try {
    for (let r = 0; r < runs; r++) {
      const prefix = `bench-apply-${randomUUID().slice(0, 8)}:`;
      const redis = new Redis(redisUrl, { keyPrefix: prefix });
      try {
        await admin.config('RESETSTAT');
        shape = await applyAll(
          new RedisAggregateStateRepository(redis, DEFAULT_AGGREGATOR_SETTINGS),
          byPartition,
          batchEvents,
        );
        const s = await scriptStats(admin);
        perRun.push({
          scriptUs: s.scriptUs / events,
          innerUs: s.innerUs / events,
          luaUs: (s.scriptUs - s.innerUs) / events,
          innerCalls: s.innerCalls / events,
        });
      } finally {
        redis.disconnect();
        await deleteRedisPrefix(redisUrl, prefix);
      }
    }
  } finally {
    admin.disconnect();
  }
  const of = (key: keyof (typeof perRun)[number]) => perRun.map((run) => run[key]);
  return {
    benchmark: 'apply-script',
    at: new Date().toISOString(),
    events,
    partitions,
    batchEvents,
    runs,
    // the script's work is per call and per record: how many of each the events made
    eventsPerCall: round(events / shape.calls),
    streamRecordsPerEvent: round(shape.streams / events),
    userRecordsPerEvent: round(shape.users / events),
    scriptUsPerEventMedian: round(median(of('scriptUs'))),
    commandsUsPerEventMedian: round(median(of('innerUs'))),
    luaUsPerEventMedian: round(median(of('luaUs'))),
    commandsPerEvent: round(median(of('innerCalls'))),
    scriptUsPerRun: of('scriptUs')
      .map((v) => round(v))
      .join(' '),
    luaUsPerRun: of('luaUs')
      .map((v) => round(v))
      .join(' '),
  };
}
