import { createKafka, KafkaConnectionOptions } from '@app/kafka';
import type { Redis } from 'ioredis';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { AggregatorSettings } from '../aggregation/aggregator.settings';
import { BatchUpdate, UserDelta } from '../aggregation/batch-update';
import { RedisAggregateStateRepository } from '../state/redis-aggregate-state.repository';
import { startStandaloneAggregator } from './standalone-aggregator';

export interface RebuildOptions {
  brokers: string[];
  security?: Pick<KafkaConnectionOptions, 'ssl' | 'sasl'>;
  redis: Redis;
  topics: AggregatorTopics;
  settings: AggregatorSettings;
  /** Base of the throwaway consumer group of the replay. */
  groupIdBase: string;
  /** Give up when the replay has not caught up after this long, ms. Default 30 minutes. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface RebuildResult {
  deletedKeys: number;
  restoredFollows: number;
  replayedEvents: number;
  durationMs: number;
}

/**
 * Redis is a materialized view of Kafka: delete this state (the `agg:` keys under the prefix
 * only), restore the follow graph from the compacted follows topic (state older than the event
 * topics' retention), then replay the enriched topic from the beginning through the same fold +
 * apply as the live service, without the sweeper (the expiries it decided are in the log). The
 * live service must be stopped meanwhile; afterwards it resumes and skips what the replay
 * applied (the stored offsets are ahead of its group's).
 */
export async function rebuildAggregatorState(options: RebuildOptions): Promise<RebuildResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const repository = new RedisAggregateStateRepository(options.redis, options.settings);
  const deletedKeys = await repository.deleteAll();
  log(`deleted ${deletedKeys} keys`);
  const restoredFollows = await restoreFollows(options, repository);
  log(`restored ${restoredFollows} follows from ${options.topics.stateFollows}`);
  const connection: KafkaConnectionOptions = {
    brokers: options.brokers,
    clientId: 'metrics-aggregator-rebuild',
  };
  const ends = await endOffsets(connection, options.topics.enriched);
  let replayedEvents = 0;
  const aggregator = await startStandaloneAggregator({
    brokers: options.brokers,
    security: options.security,
    redis: options.redis,
    topics: options.topics,
    groupId: `${options.groupIdBase}-rebuild-${Date.now()}`,
    settings: options.settings,
    sweeper: false,
    clientId: 'metrics-aggregator-rebuild',
    maxWaitTimeMs: 50,
    onBatch: (batch) => {
      replayedEvents += batch.messages.length;
    },
  });
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
    for (;;) {
      const health = aggregator.server.health();
      const pending = [...ends].filter(([partition, end]) => {
        if (end.high === end.low) return false;
        const lag = health.lag.find((l) => l.topic === options.topics.enriched && l.partition === partition);
        return !lag || lag.lag > 0;
      });
      if (pending.length === 0) break;
      if (Date.now() > deadline)
        throw new Error(`rebuild did not catch up on partitions ${pending.map(([p]) => p).join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await aggregator.stop();
  }
  log(`replayed ${replayedEvents} events`);
  return { deletedKeys, restoredFollows, replayedEvents, durationMs: Date.now() - started };
}

async function endOffsets(
  connection: KafkaConnectionOptions,
  topic: string,
): Promise<Map<number, { low: string; high: string }>> {
  const admin = createKafka(connection, 'admin').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: o.low, high: o.high }]));
  } finally {
    await admin.disconnect();
  }
}

/** Reads the compacted follows topic to its end and applies the last state per userId:sellerId. */
async function restoreFollows(
  options: RebuildOptions,
  repository: RedisAggregateStateRepository,
): Promise<number> {
  const topic = options.topics.stateFollows;
  const connection: KafkaConnectionOptions = {
    brokers: options.brokers,
    clientId: 'metrics-aggregator-rebuild',
  };
  const ends = await endOffsets(connection, topic);
  const state = new Map<string, boolean>();
  const lastOffsets = new Map<number, string>();
  const toRead = [...ends].filter(([, e]) => BigInt(e.high) > BigInt(e.low));
  if (toRead.length > 0) {
    const consumer = createKafka(connection, 'follows').consumer({
      groupId: `${options.groupIdBase}-follows-${Date.now()}`,
      maxWaitTimeInMs: 50,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              if (m.key) state.set(m.key.toString(), m.value !== null && m.value.length > 0);
              lastOffsets.set(batch.partition, m.offset);
            }
            const high = ends.get(batch.partition)?.high ?? '0';
            if (BigInt(batch.lastOffset()) + 1n >= BigInt(high)) done.add(batch.partition);
            if (done.size >= toRead.length) resolve();
            await Promise.resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
  }
  const users = new Map<string, UserDelta>();
  let follows = 0;
  for (const [key, followed] of state) {
    const cut = key.indexOf(':');
    const [userId, sellerId] = [key.slice(0, cut), key.slice(cut + 1)];
    let u = users.get(userId);
    if (!u) {
      u = { id: userId, follows: [], erase: false };
      users.set(userId, u);
    }
    (u.follows ??= []).push([sellerId, followed ? 1 : 0, 0]);
    if (followed) follows++;
  }
  if (users.size > 0) {
    const update: BatchUpdate = {
      topic,
      partition: 0,
      lastOffset: '0',
      expectOffset: '',
      maxEventTime: 0,
      streams: [],
      users: [...users.values()],
      lateEvents: 0,
    };
    const outcome = await repository.applyBatch(update);
    if (outcome.status !== 'applied') throw new Error(`restoring follows: ${outcome.status}`);
  }
  return follows;
}
