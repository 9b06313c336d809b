import { randomUUID } from 'node:crypto';
import { Kafka, Producer, Transaction } from 'kafkajs';
import { BatchTransaction } from './batch.types';
import { describeError, partitionKey } from './batch-server.base';
import { groupOffsetsByTopic } from './message.codec';
import {
  BatchTransactions,
  BufferedTransaction,
  sendOffsetsRetryingConcurrent,
  TRANSACTIONAL_PRODUCER_RETRY,
  TransactionalOptions,
  transactionalProducer,
  TransactionOutcome,
} from './partition.transactions';

/** Who the consumer is in its group right now: what the broker fences a zombie's offsets by. */
export interface ConsumerGroupMembership {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface GroupTransactionsContext {
  /** Static membership id: the transactional id is derived from it (random without one). */
  groupInstanceId: string | undefined;
  /** This consumer's membership now; null while it is not in the group. */
  membership: () => ConsumerGroupMembership | null;
  /** The group's committed offset of a partition once no open transaction holds one (require_stable). */
  fetchStableCommittedOffset: (topic: string, partition: number) => Promise<string | null>;
}

/**
 * A group transaction stays open this long at most (ms) unless configured: a process killed with a
 * transaction open blocks its partitions' next owner (its committed-offset read waits for stable
 * offsets) until the broker aborts it, unless a restart under the same transactional id fences it
 * first. Kafka Streams' exactly-once uses the same 10 s.
 */
export const GROUP_TRANSACTION_TIMEOUT_MS = 10_000;

/** The batches that share one transaction: it commits when the last of them has finished its work. */
class TransactionRound {
  running = 0;
  closing = false;
  failure: Error | null = null;
  readonly offsets = new Map<string, { topic: string; partition: number; offset: string }>();
  readonly buffer: BufferedTransaction;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };
  /** Resolves when the round committed; rejects when it aborted (every batch in it is redelivered). */
  readonly settled = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));

  constructor(
    readonly transaction: Transaction,
    /** Taken when the round begins: the generation its batches were fetched in. */
    readonly membership: ConsumerGroupMembership | null,
    maxBufferedMessages: number,
  ) {
    this.buffer = new BufferedTransaction(transaction, maxBufferedMessages);
    this.settled.catch(() => undefined);
  }

  end(outcome: Promise<void>): void {
    outcome.then(this.settle.resolve, this.settle.reject);
  }
}

/**
 * Read-process-write transactions fenced by the consumer group (KIP-447), as Kafka Streams'
 * exactly-once v2 does: one transactional producer per process, and the batches handled at the same
 * time (one fetch's partitions) share one transaction, so a fetch round costs one AddPartitionsToTxn,
 * Produce, AddOffsetsToTxn, TxnOffsetCommit and EndTxn instead of one set per partition.
 *
 * Zombie fencing comes from the group, not from per-partition transactional ids: the offsets go to
 * the broker with this member's generation (TxnOffsetCommit v3), so a member that lost its
 * partitions in a rebalance it has not noticed cannot commit (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID or
 * FENCED_INSTANCE_ID), and its transaction aborts. The next owner reads committed offsets with
 * require_stable (OffsetFetch v7), so it waits for a transaction still open on them instead of
 * re-processing records a commit is about to cover. Both need patches/kafkajs+2.2.4.patch.
 *
 * A restarted process that keeps its transactional id (static membership: the id is derived from
 * the group instance id) fences its previous incarnation's open transaction when it connects, before
 * its consumer reads any offset; a process with a random id leaves an open transaction to the broker's
 * timeout (GROUP_TRANSACTION_TIMEOUT_MS).
 */
export class GroupTransactions implements BatchTransactions {
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private openRound: TransactionRound | null = null;
  private lastRound: TransactionRound | null = null;
  private opening: Promise<TransactionRound> | null = null;
  /** Partitions whose position was checked against the committed offset since the last (re)join or abort. */
  private readonly verified = new Set<string>();
  readonly transactionalId: string;

  constructor(
    private readonly kafka: Kafka,
    private readonly consumerGroupId: string,
    private readonly options: TransactionalOptions,
    private readonly context: GroupTransactionsContext,
  ) {
    this.transactionalId = `${options.transactionalIdPrefix}-${context.groupInstanceId ?? randomUUID()}`;
  }

  /** Connects the producer: initialising its id aborts what a previous incarnation left open. */
  async prepare(): Promise<void> {
    await this.connectedProducer();
  }

  async runBatch(
    topic: string,
    partition: number,
    firstOffset: string,
    nextOffset: string,
    work: (transaction: BatchTransaction) => Promise<void>,
  ): Promise<TransactionOutcome> {
    const key = partitionKey(topic, partition);
    if (!this.verified.has(key)) {
      const resumeAt = await this.committedPast(topic, partition, firstOffset);
      if (resumeAt !== null) return { committed: false, resumeAt };
      this.verified.add(key);
    }
    const round = await this.join();
    round.running += 1;
    let batchOpen = true;
    let ownFailure: Error | null = null;
    try {
      await work({
        send: (outTopic, messages) => {
          if (!batchOpen) throw new Error('This batch has ended: its transaction no longer accepts messages');
          round.buffer.send(outTopic, messages);
        },
      });
      round.offsets.set(key, { topic, partition, offset: nextOffset });
    } catch (error) {
      ownFailure = asError(error);
      round.failure ??= ownFailure;
    } finally {
      batchOpen = false;
      round.running -= 1;
      if (round.running === 0) this.closeSoon(round);
    }
    if (ownFailure !== null) {
      this.verified.delete(key);
      await round.settled.catch(() => undefined);
      throw ownFailure;
    }
    try {
      await round.settled;
    } catch (error) {
      this.verified.delete(key);
      if (error !== round.failure) throw error;
      throw new Error(`Transaction aborted: another batch in it failed (${describeError(error)})`, {
        cause: error,
      });
    }
    return { committed: true };
  }

  /**
   * After a (re)join every partition is checked again before its next batch: a partition this member
   * lost and got back may have been processed by another member meanwhile, while kafkajs still holds
   * the seek of this member's last failed batch.
   */
  retainOnly(): Promise<void> {
    this.verified.clear();
    // A producer replaced after a failed abort (a broker restart) must initialise now: that aborts
    // what it left open, which the consumer's stable-offset read is waiting for. Lazily, at the next
    // batch, it waited for that read, i.e. for the broker's transaction timeout (~10 s, broker-kill).
    this.connectedProducer().catch(() => undefined);
    return Promise.resolve();
  }

  async closeAll(): Promise<void> {
    await this.lastRound?.settled.catch(() => undefined);
    await this.discardProducer();
  }

  /**
   * Where to resume when the group's committed offset is past this batch (another member committed
   * these records, or this member's own commit went through although it looked failed); null to go on.
   */
  private async committedPast(topic: string, partition: number, firstOffset: string): Promise<string | null> {
    const committed = await this.context.fetchStableCommittedOffset(topic, partition);
    return committed !== null && BigInt(committed) > BigInt(firstOffset) ? committed : null;
  }

  /** The open round, or a new one once the closing round has committed or aborted. */
  private async join(): Promise<TransactionRound> {
    for (;;) {
      const open = this.openRound;
      if (open && !open.closing) return open;
      this.opening ??= this.begin().finally(() => (this.opening = null));
      const round = await this.opening;
      if (!round.closing) return round;
    }
  }

  private async begin(): Promise<TransactionRound> {
    await this.lastRound?.settled.catch(() => undefined);
    const producer = await this.connectedProducer();
    let transaction: Transaction;
    try {
      transaction = await producer.transaction();
    } catch (error) {
      await this.discardProducer(); // e.g. fenced by another process with this id
      throw error;
    }
    const round = new TransactionRound(
      transaction,
      this.context.membership(),
      this.options.maxBufferedMessages ?? 2_500,
    );
    this.openRound = round;
    this.lastRound = round;
    return round;
  }

  /**
   * Waits one turn of the event loop before closing, so batches of the same fetch that start right
   * after this one finished still join it.
   */
  private closeSoon(round: TransactionRound): void {
    setImmediate(() => {
      if (round.running > 0 || round.closing) return;
      round.closing = true;
      if (this.openRound === round) this.openRound = null;
      round.end(this.finish(round));
    });
  }

  private async finish(round: TransactionRound): Promise<void> {
    if (round.failure !== null) {
      await round.buffer.discard();
      await this.abort(round.transaction);
      throw round.failure;
    }
    try {
      await round.buffer.finish();
      await this.commitOffsets(round);
      await round.transaction.commit();
    } catch (error) {
      await this.abort(round.transaction);
      throw error;
    }
  }

  private async commitOffsets(round: TransactionRound): Promise<void> {
    // Never the membership of commit time: a member that rejoined meanwhile would vouch for offsets
    // fetched in a generation it no longer owns them in.
    const { membership } = round;
    if (!membership) throw new Error('Not a member of the consumer group: the offsets cannot be fenced');
    await sendOffsetsRetryingConcurrent(
      round.transaction,
      {
        consumerGroupId: this.consumerGroupId,
        topics: groupOffsetsByTopic(round.offsets.values()),
        consumerGroupMetadata: membership,
      },
      this.options.retry ?? TRANSACTIONAL_PRODUCER_RETRY,
    );
  }

  /**
   * A failed handler or a fenced offset commit (stale generation) leaves the producer usable: the
   * transaction aborts. When the abort fails too (producer fenced, broker trouble), the producer is
   * replaced; the new one's initialisation aborts whatever is still open.
   */
  private async abort(transaction: Transaction): Promise<void> {
    if (transaction.isActive()) {
      try {
        await transaction.abort();
        return;
      } catch {
        // fall through
      }
    }
    await this.discardProducer();
  }

  private connectedProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<Producer> {
    const producer = transactionalProducer(
      this.kafka,
      this.transactionalId,
      this.options.transactionTimeoutMs ?? GROUP_TRANSACTION_TIMEOUT_MS,
      this.options.retry,
    );
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  private async discardProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect().catch(() => undefined);
  }
}

/** Nest's RPC filters may turn a handler's error into a plain object: keep it throwable as an Error. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(describeError(error), { cause: error });
}
