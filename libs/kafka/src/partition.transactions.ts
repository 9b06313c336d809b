import { Kafka, Message, Producer, RetryOptions, Transaction } from 'kafkajs';
import { BatchTransaction, OutboundMessage } from './batch.types';
import { partitionKey } from './batch-server.base';
import { MemoizedDefaultPartitioner } from './memoized.partitioner';
import { retryDelayMs } from './retry.backoff';

export interface TransactionalOptions {
  /**
   * `partition` (default): one transaction per partition batch, fenced by per-partition
   * transactional ids (PartitionTransactions). `group`: the batches handled at the same time share
   * one transaction, fenced by the consumer group's generation (GroupTransactions, KIP-447).
   */
  scope?: 'partition' | 'group';
  /**
   * Scope `partition`: transactionalId = `${prefix}-${topic}-${partition}`. Scope `group`:
   * `${prefix}-${groupInstanceId}` (random without one). Stable per deployment, unique per service.
   */
  transactionalIdPrefix: string;
  /** Broker aborts a transaction left open longer than this, ms (default 60000; scope group 10000). */
  transactionTimeoutMs?: number;
  /** A batch's sends are held back up to this many messages, then sent into the open transaction. Default 2500. */
  maxBufferedMessages?: number;
  /** Retry of the transactional producers' requests; default TRANSACTIONAL_PRODUCER_RETRY. */
  retry?: RetryOptions;
}

/**
 * After EndTxn the coordinator writes the commit markers asynchronously; the next transaction's
 * AddPartitionsToTxn / AddOffsetsToTxn meanwhile gets CONCURRENT_TRANSACTIONS, which kafkajs retries
 * with its client retry (first wait 300 ms, then 600, 1200...). With one transaction per partition
 * batch that added 0.3-2 s to a hop whenever the broker was a few ms slow (measured: 1 in ~10
 * back-to-back transactions took 300+ ms instead of ~10 ms). The Java client backs off 20 ms here.
 * The markers usually take 1-5 ms on one machine, so the first retry comes after 2 ms (back-to-back
 * one-message transactions, p50 39 -> 23 ms against 10 ms); doubling over 13 retries keeps about
 * the same total patience (~30 s) as kafkajs' 300 ms x 5.
 */
export const TRANSACTIONAL_PRODUCER_RETRY: RetryOptions = { initialRetryTime: 2, retries: 13 };

/**
 * Collects a batch's sends. What a handler sends within one tick goes to the broker in one request
 * once that tick is over (so the handler's next await, e.g. its Redis writes, overlaps the
 * AddPartitionsToTxn + Produce round trips instead of preceding them), or earlier in chunks of
 * `maxBufferedMessages` to bound memory; either way they stay invisible to read-committed consumers
 * until the transaction commits, and are discarded if it aborts.
 */
export class BufferedTransaction implements BatchTransaction {
  private buffered: { topic: string; messages: Message[] }[] = [];
  private bufferedCount = 0;
  private sending: Promise<void>;
  private ended = false;
  private flushScheduled = false;

  /** `after`: the sends go out once it resolves (and fail with it if it rejects). */
  constructor(
    private readonly transaction: Transaction,
    private readonly maxBufferedMessages: number,
    after: Promise<void> = Promise.resolve(),
  ) {
    this.sending = after;
    this.sending.catch(() => undefined);
  }

  send(topic: string, messages: OutboundMessage[]): void {
    if (this.ended) throw new Error('This batch has ended: its transaction no longer accepts messages');
    let entry = this.buffered.find((candidate) => candidate.topic === topic);
    if (!entry) {
      entry = { topic, messages: [] };
      this.buffered.push(entry);
    }
    // An OutboundMessage is already a kafkajs Message (same fields): no copy per message.
    for (const message of messages) entry.messages.push(message satisfies Message);
    this.bufferedCount += messages.length;
    if (this.bufferedCount >= this.maxBufferedMessages) this.sendBuffered();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (!this.ended) this.sendBuffered();
      });
    }
  }

  /** Sends what is left and waits for every send of this batch; rethrows the first failure. */
  async finish(): Promise<void> {
    this.ended = true;
    this.sendBuffered();
    await this.sending;
  }

  /** Stops accepting sends (the batch failed); waits for sends in flight so the abort comes after them. */
  async discard(): Promise<void> {
    this.ended = true;
    this.buffered = [];
    await this.sending.catch(() => undefined);
  }

  private sendBuffered(): void {
    if (this.bufferedCount === 0) return;
    const topicMessages = this.buffered;
    this.buffered = [];
    this.bufferedCount = 0;
    // Chained so chunks reach the broker in send order; a failure surfaces in finish().
    this.sending = this.sending.then(() =>
      this.transaction.sendBatch({ topicMessages, acks: -1 }).then(() => undefined),
    );
    this.sending.catch(() => undefined);
  }
}

/** A committed batch, or a batch skipped because its offsets were already committed by a previous owner. */
export type TransactionOutcome = { committed: true } | { committed: false; resumeAt: string };

/** Runs each partition batch's work inside a transaction that also commits the batch's offsets. */
export interface BatchTransactions {
  /** Before the consumer starts: whatever must be fenced before it reads committed offsets. */
  prepare(): Promise<void>;
  runBatch(
    topic: string,
    partition: number,
    firstOffset: string,
    nextOffset: string,
    work: (transaction: BatchTransaction) => Promise<void>,
  ): Promise<TransactionOutcome>;
  /** After a rebalance: the partitions this member now owns. */
  retainOnly(assigned: { topic: string; partitions: number[] }[]): Promise<void>;
  closeAll(): Promise<void>;
}

/**
 * kafkajs retries CONCURRENT_TRANSACTIONS for AddPartitionsToTxn (inside sendBatch) but not for
 * AddOffsetsToTxn. Sent first in a transaction, right after the previous one's commit, it can meet
 * the previous commit's markers still being written: retried here with the producers' policy.
 */
export async function sendOffsetsRetryingConcurrent(
  transaction: Transaction,
  offsets: Parameters<Transaction['sendOffsets']>[0],
  retry: RetryOptions,
): Promise<void> {
  const policy = {
    initialMs: retry.initialRetryTime ?? 300,
    maxMs: retry.maxRetryTime ?? 30_000,
    multiplier: 2,
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await transaction.sendOffsets(offsets);
      return;
    } catch (error) {
      if (!isConcurrentTransactions(error) || attempt > (retry.retries ?? 5)) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt, policy)));
    }
  }
}

/**
 * A transactional producer as both scopes need it: idempotent, one request in flight (kafkajs
 * requires both for transactions), no topic auto-creation, and the given transaction timeout.
 */
export function transactionalProducer(
  kafka: Kafka,
  transactionalId: string,
  transactionTimeoutMs: number,
  retry: RetryOptions | undefined,
): Producer {
  return kafka.producer({
    transactionalId,
    transactionTimeout: transactionTimeoutMs,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: MemoizedDefaultPartitioner,
    retry: retry ?? TRANSACTIONAL_PRODUCER_RETRY,
  });
}

interface PartitionProducer {
  producer: Producer;
  connected: Promise<void>;
  /** Committed offset re-read after this producer fenced earlier owners. */
  verified: boolean;
}

/**
 * Read-process-write transactions without KIP-447 (kafkajs sends no consumer group metadata with
 * its offsets, so the broker cannot fence by group generation). Classic zombie fencing instead:
 * one transactional producer per INPUT topic-partition with a stable transactionalId. Whoever owns
 * the partition now initialises that id, which aborts a previous owner's open transaction and makes
 * its later commits fail (fenced epoch). Because kafkajs read the committed offset before this
 * fencing happened, the first batch after (re)creating a producer re-reads the committed offset and
 * skips ahead if a previous owner's last transaction committed in between.
 */
export class PartitionTransactions implements BatchTransactions {
  private readonly producers = new Map<string, PartitionProducer>();

  constructor(
    private readonly kafka: Kafka,
    private readonly consumerGroupId: string,
    private readonly options: TransactionalOptions,
    private readonly fetchCommittedOffset: (topic: string, partition: number) => Promise<string | null>,
  ) {}

  /** Each partition's producer is created (and fences) at its first batch. */
  async prepare(): Promise<void> {}

  async runBatch(
    topic: string,
    partition: number,
    firstOffset: string,
    nextOffset: string,
    work: (transaction: BatchTransaction) => Promise<void>,
  ): Promise<TransactionOutcome> {
    const entry = this.acquire(topic, partition);
    let transaction: Transaction | null = null;
    let handlerFailed = false;
    try {
      await entry.connected;
      transaction = await entry.producer.transaction(); // the first call initialises the id: fences older owners
      if (!entry.verified) {
        const committed = await this.fetchCommittedOffset(topic, partition);
        entry.verified = true;
        if (committed !== null && BigInt(committed) > BigInt(firstOffset)) {
          await transaction.abort();
          return { committed: false, resumeAt: committed };
        }
      }
      // The offsets join the transaction while the handler works (they count only at commit either
      // way): FindCoordinator + AddOffsetsToTxn + TxnOffsetCommit overlap the handler's own I/O.
      // The batch's sends follow them. kafkajs keeps one request in flight per connection, so they
      // would wait anyway, and a send issued while the transaction coordinator lookup is still
      // pending starts a second lookup (measured: 7 requests per one-message transaction, now 6).
      const offsets = this.sendOffsets(transaction, topic, partition, nextOffset);
      offsets.catch(() => undefined);
      const buffer = new BufferedTransaction(transaction, this.options.maxBufferedMessages ?? 2_500, offsets);
      try {
        await work(buffer);
      } catch (error) {
        handlerFailed = true;
        await buffer.discard();
        await offsets.catch(() => undefined); // the abort must come after the requests in flight
        throw error;
      }
      await buffer.finish().finally(() => offsets.catch(() => undefined));
      await offsets;
      await transaction.commit();
      return { committed: true };
    } catch (error) {
      await this.abandon(topic, partition, transaction, handlerFailed);
      throw error;
    }
  }

  private sendOffsets(
    transaction: Transaction,
    topic: string,
    partition: number,
    offset: string,
  ): Promise<void> {
    return sendOffsetsRetryingConcurrent(
      transaction,
      { consumerGroupId: this.consumerGroupId, topics: [{ topic, partitions: [{ partition, offset }] }] },
      this.options.retry ?? TRANSACTIONAL_PRODUCER_RETRY,
    );
  }

  /** Drop producers of partitions no longer assigned (a later owner fences them anyway). */
  async retainOnly(assigned: { topic: string; partitions: number[] }[]): Promise<void> {
    const keep = new Set(
      assigned.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p))),
    );
    const dropped = [...this.producers.keys()].filter((key) => !keep.has(key));
    await Promise.all(dropped.map((key) => this.discard(key)));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.producers.keys()].map((key) => this.discard(key)));
  }

  transactionalId(topic: string, partition: number): string {
    return `${this.options.transactionalIdPrefix}-${topic}-${partition}`;
  }

  private acquire(topic: string, partition: number): PartitionProducer {
    const key = partitionKey(topic, partition);
    let entry = this.producers.get(key);
    if (!entry) {
      const producer = transactionalProducer(
        this.kafka,
        this.transactionalId(topic, partition),
        this.options.transactionTimeoutMs ?? 60_000,
        this.options.retry,
      );
      entry = { producer, connected: producer.connect(), verified: false };
      // A failed connect is surfaced by runBatch; do not leave an unhandled rejection behind.
      entry.connected.catch(() => undefined);
      this.producers.set(key, entry);
    }
    return entry;
  }

  /**
   * After a handler error the transaction aborts cleanly and the producer is kept. After a broker-side
   * error (fenced, timeout, ambiguous commit) the producer is replaced: the new one fences, then the
   * committed offset is re-read, which also settles whether an ambiguous commit went through.
   */
  private async abandon(
    topic: string,
    partition: number,
    transaction: Transaction | null,
    handlerFailed: boolean,
  ): Promise<void> {
    if (handlerFailed && transaction?.isActive()) {
      try {
        await transaction.abort();
        return;
      } catch {
        // fall through: replace the producer
      }
    }
    await this.discard(partitionKey(topic, partition));
  }

  private async discard(key: string): Promise<void> {
    const entry = this.producers.get(key);
    if (!entry) return;
    this.producers.delete(key);
    await entry.producer.disconnect().catch(() => undefined);
  }
}

function isConcurrentTransactions(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { type?: unknown }).type === 'CONCURRENT_TRANSACTIONS'
  );
}
