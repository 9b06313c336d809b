import { RetryBackoffOptions, TransportObserver } from './batch.types';
import { KafkaConnectionOptions } from './kafka-connection.options';
import { TransactionalOptions } from './partition.transactions';

export interface KafkaBatchServerOptions extends KafkaConnectionOptions {
  groupId: string;
  /**
   * Static membership (KIP-345): this member's id in the group, stable across restarts of the same
   * replica and unique among them. A restarted member (SIGKILL, crash) gets its partitions back at
   * once, without a rebalance, instead of after its old session expired; a member that stops
   * gracefully leaves, so scaling down still rebalances at once. Undefined = a dynamic member.
   * Needs patches/kafkajs+2.2.4.patch (kafkajs 2.2.4 has the protocol fields but never sends them).
   */
  groupInstanceId?: string;
  /** Topics to consume; default: the topics of the registered `@EventPattern` handlers. */
  topics?: string[];
  /** Where a group without committed offsets starts. Default true: a pipeline must not skip history. */
  fromBeginning?: boolean;
  /**
   * Longest the broker holds a fetch waiting for minBytes, ms. Default 100 (kafkajs: 5000). Not a
   * latency floor: the broker answers a waiting fetch as soon as a record is appended (read
   * committed: as soon as the commit marker moves the LSO), measured 1 ms p50 with 500 ms. It only
   * bounds how often an idle consumer polls (5 ms = 200 empty fetches/s per consumer, ~10% of a
   * core per idle service) and how soon a pause/seek takes effect.
   */
  maxWaitTimeMs?: number;
  /** Bytes the broker waits for before answering a fetch. Default 1. */
  minBytes?: number;
  /** Bytes per fetch response. Default 10 MiB. */
  maxBytes?: number;
  /** Bytes per partition per fetch. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Batches (of different partitions) handled at the same time. Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Group session timeout, ms. Default 30000. */
  sessionTimeoutMs?: number;
  /** How long the group waits for members to rejoin during a rebalance, ms. Default 60000. */
  rebalanceTimeoutMs?: number;
  /** Heartbeat period, also while a handler runs, ms. Default 3000 (must be well under sessionTimeoutMs). */
  heartbeatIntervalMs?: number;
  /** READ_COMMITTED (default true): never see aborted or open transactions' messages. */
  readCommitted?: boolean;
  /**
   * Without `transactional`: handled batches' offsets are committed together at most this often, ms
   * (DeferredOffsetCommitter). Default 100: a crash redelivers at most that much more, and consumer
   * lag as the broker sees it (committed offsets) lags by as much.
   */
  offsetCommitIntervalMs?: number;
  /**
   * The event loop turns once batches handled back to back (kafkajs hands a fetch's batches over
   * without a turn between them) took this long, ms (EventLoopBudget): a consumer catching up with
   * a handler that awaits no I/O would otherwise hold health checks and timers for a whole fetch.
   * Default 10.
   */
  eventLoopBudgetMs?: number;
  /** Run every batch in a Kafka transaction (read-process-write); see PartitionTransactions. */
  transactional?: TransactionalOptions;
  /** Backoff between redeliveries of a failing batch. */
  retryBackoff?: Partial<RetryBackoffOptions>;
  observer?: TransportObserver;
}

type Defaulted =
  | 'fromBeginning'
  | 'maxWaitTimeMs'
  | 'minBytes'
  | 'maxBytes'
  | 'maxBytesPerPartition'
  | 'partitionsConsumedConcurrently'
  | 'sessionTimeoutMs'
  | 'rebalanceTimeoutMs'
  | 'heartbeatIntervalMs'
  | 'readCommitted'
  | 'offsetCommitIntervalMs'
  | 'eventLoopBudgetMs';

export type ResolvedKafkaBatchServerOptions = KafkaBatchServerOptions &
  Required<Pick<KafkaBatchServerOptions, Defaulted>>;

/**
 * `minBytes` of a consumer whose effects are not on a feed's latency path (the aggregator's
 * metrics, the writer's vectors, and the enricher's round while its lifecycle fast lane carries
 * starts and ends): the broker answers its fetch once this much arrived or after `maxWaitTimeMs`
 * (100 ms), whichever comes first. With minBytes 1 such a consumer fetches as soon as anything
 * arrived: at 500-1,000 events/s ~200-250 batches a second of 2-4 events, each costing the service
 * ~1-1.7 ms of CPU whatever its size, and the broker and Redis their share; the machine was 80 %
 * busy at 1,000 events/s. Measured (docs/benchmarks-history.md, session 23), at 1,000-2,500
 * events/s: the aggregator and the writer 49-52 -> 32-42 % of a core together, the broker 38-40 ->
 * 31-34 %, the machine 80-85 -> 62-77 % busy; the data latency at ~1,000 events/s, whose path does
 * not pass them, p50 12-21 -> 11-13 ms, p99 71-88 -> 56-60 ms. Their effects wait at most
 * `maxWaitTimeMs` more at low rates (the metrics feed already spaces a busy stream's records up to
 * 250 ms apart). From ~5,000 events/s a fetch round lasts about as long anyway: no change measured.
 * The enricher's round (session 31), at 3,500 events/s: the machine 521-526 -> 419-440 us of CPU
 * per event, the enricher 86-87 -> 56-61, the broker 109-112 -> 69-72, Redis 96-97 -> 82-90.
 */
export const OFF_PATH_FETCH_MIN_BYTES = 256 * 1024;

export const KAFKA_BATCH_SERVER_DEFAULTS: Required<Pick<KafkaBatchServerOptions, Defaulted>> = {
  fromBeginning: true,
  maxWaitTimeMs: 100,
  minBytes: 1,
  maxBytes: 10 * 1024 * 1024,
  maxBytesPerPartition: 1024 * 1024,
  partitionsConsumedConcurrently: 1,
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 60_000,
  heartbeatIntervalMs: 3_000,
  readCommitted: true,
  offsetCommitIntervalMs: 100,
  eventLoopBudgetMs: 10,
};
