/**
 * The shapes shared by the Kafka transport and its in-process twin. Handlers are written against
 * these only, so a handler runs unchanged on either transport.
 */

/** One consumed record, decoded just enough to route it: key/value stay bytes. */
export interface KafkaInboundMessage {
  /** Kafka offset as a decimal string (int64 does not fit a JS number in general). */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values decoded as UTF-8; for a repeated header key the last value wins. */
  headers: Record<string, string | undefined>;
  /** Record timestamp, epoch ms (create time unless the topic uses log-append time). */
  timestamp: number;
}

/** A message to produce. Strings are encoded as UTF-8. */
export interface OutboundMessage {
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Explicit partition; otherwise the key's murmur2 hash picks it (Kafka's default partitioner). */
  partition?: number;
}

/**
 * Messages produced inside a batch's transaction. They become visible to read-committed consumers
 * only if the handler succeeds and the transaction (with the batch's offsets) commits; if the handler
 * throws they are discarded. Sends are buffered and go to the broker in one request at commit time,
 * so `send` is synchronous: nothing is durable until the batch commits.
 */
export interface BatchTransaction {
  send(topic: string, messages: OutboundMessage[]): void;
}

/** What an `@EventPattern('<topic>')` handler receives: one partition's batch. */
export interface KafkaBatch {
  topic: string;
  partition: number;
  messages: KafkaInboundMessage[];
  /** Partition high watermark when the batch was fetched (offset of the next record to be written). */
  highWatermark: string;
  /** Keep the group membership alive during long work; cheap to call often (throttled). */
  heartbeat(): Promise<void>;
  /** Present only when the server runs in transactional mode. */
  transaction?: BatchTransaction;
}

/** The producer interface both the Kafka producer and the in-process one implement. */
export interface EventProducer {
  /** Resolves once the broker acknowledged these messages (acks = all); rejects so callers can retry. */
  send(topic: string, messages: OutboundMessage[]): Promise<void>;
  /** Resolves once everything sent so far is acknowledged (or failed). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Hook for metrics; libs/observability implements it (prometheus) without libs/kafka depending on it.
 * Called synchronously on the consume path: implementations must be cheap and must not throw.
 */
export interface TransportObserver {
  /** After a batch was handled and its offsets committed. `lag` = highWatermark - next offset. */
  onBatch?(topic: string, partition: number, size: number, durationMs: number, lag: number): void;
  /** A batch failed (handler, commit or transaction) and will be redelivered, or the consumer crashed. */
  onError?(error: unknown, topic?: string, partition?: number): void;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Messages behind the high watermark after the last handled batch. */
  lag: number;
}

export interface FailingPartition {
  topic: string;
  partition: number;
  /** Consecutive failed attempts of the current batch. */
  attempts: number;
  lastError: string;
}

/** A snapshot for readiness checks and diagnostics. */
export interface TransportHealth {
  /** Group joined (or in-process server listening) and not crashed. */
  joined: boolean;
  crashed: boolean;
  /** Epoch ms of the last successfully handled batch, null before the first. */
  lastBatchAt: number | null;
  assigned: { topic: string; partitions: number[] }[];
  lag: PartitionLag[];
  /** Paused through `pause()` (backpressure). */
  paused: boolean;
  /** Partitions whose current batch keeps failing and is being retried with backoff. */
  failing: FailingPartition[];
}

/** Exponential retry backoff for failed batches (never skipped, retried for as long as it takes). */
export interface RetryBackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Cap, ms. */
  maxMs: number;
  multiplier: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoffOptions = { initialMs: 100, maxMs: 10_000, multiplier: 2 };
