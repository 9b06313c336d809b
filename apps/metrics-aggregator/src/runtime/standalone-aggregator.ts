import { BatchingProducer, KafkaBatch, KafkaBatchServer, KafkaConnectionOptions } from '@app/kafka';
import type { Redis } from 'ioredis';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import {
  AggregatorSettings,
  ENRICHED_FETCH_BYTES_PER_PARTITION,
  ENRICHED_FETCH_MAX_BYTES,
  ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
} from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { ChangeFeedPublisher } from '../change-feed/change-feed.publisher';
import { watchAssignments } from '../change-feed/pending-recovery';
import { IDLE_USER_SWEEP_INTERVAL_MS, IdleUserSweeper } from '../idle-users/idle-user.sweeper';
import { LeaseSweeper } from '../liveness/lease-sweeper';
import { RedisAggregateStateRepository } from '../state/redis-aggregate-state.repository';
import { AggregatorCounters, EnrichedBatchHandler } from '../stream-metrics/enriched-batch.handler';

export interface StandaloneAggregatorOptions {
  brokers: string[];
  /** TLS / SASL of the cluster (KAFKA_SSL, KAFKA_SASL_*). */
  security?: Pick<KafkaConnectionOptions, 'ssl' | 'sasl'>;
  /** Carries the deployment's keyPrefix (REDIS_KEY_PREFIX). */
  redis: Redis;
  topics: AggregatorTopics;
  groupId: string;
  settings: AggregatorSettings;
  /** Decide lease expiries (false for replays). */
  sweeper: boolean;
  clientId?: string;
  maxWaitTimeMs?: number;
  partitionsConsumedConcurrently?: number;
  counters?: AggregatorCounters;
  /** Crash tests only: time spent in each batch before it is applied, ms (a SIGKILL lands mid-batch). */
  batchDelayMs?: number;
  /** Group session timeout, ms (tests: a killed member's partitions move sooner). Default 30000. */
  sessionTimeoutMs?: number;
  /** Bytes per partition per fetch (smaller = more, smaller batches). */
  maxBytesPerPartition?: number;
  /** Bytes per fetch, all partitions. */
  maxBytes?: number;
  /** Called after every handled batch (tests, rebuild progress). */
  onBatch?: (batch: KafkaBatch) => void;
  /** Called when a batch arrives, before it is handled (the benchmark's clock starts at the first). */
  onBatchStart?: (batch: KafkaBatch) => void;
  /** Most events per apply script call (default APPLY_MAX_EVENTS; the benchmark's small-batch regime). */
  applyMaxEvents?: number;
}

export interface StandaloneAggregator {
  server: KafkaBatchServer;
  repository: RedisAggregateStateRepository;
  handler: EnrichedBatchHandler;
  feed: ChangeFeedPublisher;
  sweeper: LeaseSweeper;
  producer: BatchingProducer;
  stop(): Promise<void>;
}

/**
 * The aggregator's pipeline without the Nest app around it (the same classes the module wires):
 * for the rebuild script, the benchmark and the crash tests' child process.
 */
export async function startStandaloneAggregator(
  options: StandaloneAggregatorOptions,
): Promise<StandaloneAggregator> {
  const clientId = options.clientId ?? 'metrics-aggregator';
  const repository = new RedisAggregateStateRepository(options.redis, options.settings);
  const producer = new BatchingProducer({
    brokers: options.brokers,
    clientId,
    lingerMs: 2,
    maxBatchMessages: 500,
  });
  await producer.connect();
  const feed = new ChangeFeedPublisher(repository, producer, {
    enrichedTopic: options.topics.enriched,
    metricsTopic: options.topics.metricsStreams,
    watermarksTopic: options.topics.watermarks,
    coalesceMs: options.settings.coalesceMs,
    source: clientId,
  });
  const applier = new BatchApplier(new BatchFoldService(options.settings), repository);
  const handler = new EnrichedBatchHandler(
    applier,
    repository,
    producer,
    feed,
    { topics: options.topics, groupId: options.groupId, applyMaxEvents: options.applyMaxEvents },
    options.counters,
  );
  const server = new KafkaBatchServer({
    ...options.security,
    brokers: options.brokers,
    clientId,
    groupId: options.groupId,
    readCommitted: true,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 100,
    partitionsConsumedConcurrently:
      options.partitionsConsumedConcurrently ?? ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
    topics: [options.topics.enriched],
    ...(options.sessionTimeoutMs
      ? {
          sessionTimeoutMs: options.sessionTimeoutMs,
          heartbeatIntervalMs: Math.floor(options.sessionTimeoutMs / 6),
        }
      : {}),
    maxBytesPerPartition: options.maxBytesPerPartition ?? ENRICHED_FETCH_BYTES_PER_PARTITION,
    maxBytes: options.maxBytes ?? ENRICHED_FETCH_MAX_BYTES,
  });
  server.addHandler(
    options.topics.enriched,
    async (batch: KafkaBatch) => {
      options.onBatchStart?.(batch);
      if (options.batchDelayMs) await new Promise((resolve) => setTimeout(resolve, options.batchDelayMs));
      await handler.handle(batch);
      options.onBatch?.(batch);
    },
    true,
  );
  const assignments = watchAssignments(server, options.topics.enriched, (partitions) =>
    handler.partitionsAssigned(partitions),
  );
  const sweeper = new LeaseSweeper(repository, producer, () => server.health(), {
    enrichedTopic: options.topics.enriched,
    rawTopic: options.topics.raw,
    streamLeaseMs: options.settings.streamLeaseMs,
    sweepIntervalMs: options.settings.sweepIntervalMs,
  });
  const idleUsers = new IdleUserSweeper(repository, {
    userTtlSec: options.settings.userTtlSec,
    intervalMs: IDLE_USER_SWEEP_INTERVAL_MS,
  });
  await new Promise<void>((resolve, reject) =>
    server.listen((error?: unknown) =>
      error ? reject(error instanceof Error ? error : new Error('the consumer failed to start')) : resolve(),
    ),
  );
  if (options.sweeper) {
    sweeper.start();
    idleUsers.start();
  }
  return {
    server,
    repository,
    handler,
    feed,
    sweeper,
    producer,
    stop: async () => {
      assignments.unsubscribe();
      await sweeper.stop();
      await idleUsers.stop();
      await server.close();
      await feed.close();
      await producer.close();
    },
  };
}
