import { Admin, Consumer, EachBatchPayload, Kafka, TopicOffsets } from 'kafkajs';
import { BatchTransaction, KafkaBatch, TransportHealth } from './batch.types';
import { BatchServerBase, partitionKey } from './batch-server.base';
import {
  KAFKA_BATCH_SERVER_DEFAULTS,
  KafkaBatchServerOptions,
  ResolvedKafkaBatchServerOptions,
} from './kafka-batch-server.options';
import { createKafka } from './kafka-connection.options';
import { decodeMessage, lagOf, nextOffset } from './message.codec';
import { OffsetCommitScheduler, PartitionOffset } from './offset-commit.scheduler';
import { PartitionTransactions } from './partition.transactions';
import { retryDelayMs } from './retry.backoff';

/**
 * Nest transport strategy on kafkajs `eachBatch`: `@EventPattern('<topic>')` handlers get one
 * partition's batch (`KafkaBatch`). Offsets are committed only after the handler's promise resolved:
 * in transactional mode with the transaction; otherwise asynchronously, coalesced every
 * `commitIntervalMs` (OffsetCommitScheduler), and flushed before a rebalance and at close(). A
 * failing batch is never skipped: nothing is recorded, the partition is sought back to the batch
 * start and paused for an exponential backoff, then the same batch is delivered again.
 */
export class KafkaBatchServer extends BatchServerBase {
  private readonly options: ResolvedKafkaBatchServerOptions;
  private kafka: Kafka | null = null;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private transactions: PartitionTransactions | null = null;
  private topics: string[] = [];
  private running = false;
  private joined = false;
  private crashed = false;
  private assigned: { topic: string; partitions: number[] }[] = [];
  private pausedByUser = false;
  /** close() began: batches still running commit their offsets before they return. */
  private closing = false;
  private readonly committer: OffsetCommitScheduler;
  /**
   * The group commit of kafkajs' eachBatch payload (`commitOffsetsIfNecessary(offsets)`, a closure per
   * batch over the run's consumer group): one OffsetCommit with the current generation, no retrier.
   * Not `consumer.commitOffsets`: that retries a refused commit for seconds (also during a rebalance,
   * when only the next generation could succeed) and silently does nothing once disconnect() began,
   * while the last batches still finish and must commit.
   */
  private groupCommit: EachBatchPayload['commitOffsetsIfNecessary'] | null = null;
  private readonly sendCommit = (offsets: PartitionOffset[]): Promise<void> => {
    if (!this.groupCommit) return Promise.reject(new Error('No consumer run to commit with'));
    return this.groupCommit({ topics: byTopic(offsets) });
  };
  private readonly backoffTimers = new Map<
    string,
    { topic: string; partition: number; timer: NodeJS.Timeout }
  >();

  constructor(options: KafkaBatchServerOptions) {
    super(options.retryBackoff, options.observer);
    this.options = { ...KAFKA_BATCH_SERVER_DEFAULTS, ...stripUndefined(options) };
    this.committer = new OffsetCommitScheduler({
      intervalMs: this.options.commitIntervalMs,
      // Reported as before; the next due commit retries it (the handler never runs again for it).
      onError: (error, topic, partition) => this.reportError(error, topic, partition),
    });
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      async (error: unknown) => {
        // Fail fast at boot (unknown topic, unreachable broker, bad credentials) and leave nothing open.
        await this.close().catch(() => undefined);
        callback(error);
      },
    );
  }

  async close(): Promise<void> {
    this.running = false;
    for (const { timer } of this.backoffTimers.values()) clearTimeout(timer);
    this.backoffTimers.clear();
    this.closing = true;
    // What was handled so far, while the member still owns its partitions...
    await this.committer.flush();
    // ...then kafkajs stops fetching, waits for the in-flight batches (which commit themselves, see
    // `closing`), leaves the group.
    await this.consumer?.disconnect();
    this.committer.stop();
    await this.transactions?.closeAll();
    await this.admin?.disconnect();
    this.joined = false;
    this.setStatus('disconnected');
  }

  unwrap<T>(): T {
    if (!this.kafka || !this.consumer) throw new Error('KafkaBatchServer is not listening');
    return { kafka: this.kafka, consumer: this.consumer } as unknown as T;
  }

  /** Backpressure: stop fetching every subscribed topic (the in-flight batch finishes). */
  pause(): void {
    this.pausedByUser = true;
    if (this.running) this.consumer?.pause(this.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.pausedByUser = false;
    if (!this.running || !this.consumer) return;
    this.consumer.resume(this.topics.map((topic) => ({ topic })));
    // Partitions still backing off after a failure stay paused until their timer fires.
    for (const { topic, partition } of this.backoffTimers.values())
      this.consumer.pause([{ topic, partitions: [partition] }]);
  }

  health(): TransportHealth {
    const assignedKeys = new Set(
      this.assigned.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p))),
    );
    return {
      joined: this.joined && !this.crashed,
      crashed: this.crashed,
      lastBatchAt: this.lastBatchAt,
      assigned: this.assigned,
      lag: [...this.lags].filter(([key]) => assignedKeys.has(key)).map(([, lag]) => lag),
      paused: this.pausedByUser,
      failing: [...this.failures].filter(([key]) => assignedKeys.has(key)).map(([, failure]) => failure),
    };
  }

  private async start(): Promise<void> {
    this.setStatus('connecting');
    this.closing = false;
    this.topics = this.resolveTopics(this.options.topics);
    const kafka = createKafka(this.options, 'consumer');
    this.kafka = kafka;
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      minBytes: this.options.minBytes,
      maxBytes: this.options.maxBytes,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      readUncommitted: !this.options.readCommitted,
      allowAutoTopicCreation: false,
      retry: this.options.retry,
    });
    this.consumer = consumer;
    this.watchGroup(consumer);
    if (this.options.transactional) {
      const admin = kafka.admin();
      this.admin = admin;
      await admin.connect();
      this.transactions = new PartitionTransactions(
        kafka,
        this.options.groupId,
        this.options.transactional,
        (topic, partition) => this.fetchCommittedOffset(admin, topic, partition),
      );
    }
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: this.options.fromBeginning });
    this.running = true;
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    if (this.pausedByUser) this.pause();
  }

  private watchGroup(consumer: Consumer): void {
    const { GROUP_JOIN, REBALANCING, CRASH, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.crashed = false;
      this.assigned = Object.entries(payload.memberAssignment).map(([topic, partitions]) => ({
        topic,
        partitions,
      }));
      this.setStatus('connected');
      this.committer.retainOnly(this.assigned);
      void this.transactions?.retainOnly(this.assigned);
    });
    consumer.on(REBALANCING, () => {
      // Emitted when every batch finished and right before kafkajs sends JoinGroup: the commit goes
      // out first, on the same connection, while this generation still owns the partitions.
      void this.committer.flushBeforeRevocation();
      this.setStatus('rebalancing');
    });
    consumer.on(CRASH, ({ payload }) => {
      // kafkajs restarts with a new group session: commit only with a payload of the new run.
      this.groupCommit = null;
      this.committer.useSender(null);
      // kafkajs restarts the consumer itself when `restart` is true; otherwise this member is gone for good.
      this.joined = false;
      this.crashed = !payload.restart;
      this.setStatus('crashed');
      this.reportError(payload.error);
    });
    consumer.on(STOP, () => {
      this.joined = false;
    });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (!payload.isRunning() || payload.isStale() || batch.isEmpty()) return;
    const { topic, partition } = batch;
    const lastMessage = batch.messages[batch.messages.length - 1];
    const firstOffset = batch.firstOffset() ?? batch.messages[0].offset;
    // lastOffset() includes trailing control records (transaction markers), which must be passed too.
    const next = nextOffset(batch.lastOffset());
    const started = Date.now();
    const keepAlive = setInterval(
      () => void payload.heartbeat().catch(() => undefined),
      this.options.heartbeatIntervalMs,
    );
    try {
      if (this.transactions) {
        const outcome = await this.transactions.runBatch(topic, partition, firstOffset, next, (transaction) =>
          this.runHandler(this.toKafkaBatch(payload, transaction)),
        );
        if (!outcome.committed) {
          // A previous owner committed these offsets after we read them: continue from there.
          this.consumer?.seek({ topic, partition, offset: outcome.resumeAt });
          this.failures.delete(partitionKey(topic, partition));
          return;
        }
        payload.resolveOffset(lastMessage.offset); // advances kafkajs' fetch position (offsets are in the transaction)
      } else {
        await this.runHandler(this.toKafkaBatch(payload));
        payload.resolveOffset(lastMessage.offset);
        if (this.options.commitIntervalMs === 0) {
          await this.commitNow(payload, topic, partition, next);
        } else {
          this.recordForCommit(payload, topic, partition, next);
          if (this.closing) await this.committer.flush();
        }
      }
      this.recordSuccess(
        topic,
        partition,
        batch.messages.length,
        Date.now() - started,
        lagOf(batch.highWatermark, next),
      );
    } catch (error) {
      this.redeliverLater(topic, partition, firstOffset, error);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * The handler's effects are done: the offset is to be committed by the scheduler. A failed commit
   * is reported and retried by the next due one, never by re-running the handler.
   */
  private recordForCommit(payload: EachBatchPayload, topic: string, partition: number, offset: string): void {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kafkajs defines it as an arrow function
    this.groupCommit = payload.commitOffsetsIfNecessary;
    this.committer.useSender(this.sendCommit);
    this.committer.record(topic, partition, offset);
  }

  /**
   * commitIntervalMs 0, the behaviour before the scheduler: each batch awaits one OffsetCommit of its
   * own partition. A failed commit is reported; the next batch's commit covers this one.
   */
  private async commitNow(payload: EachBatchPayload, topic: string, partition: number, offset: string) {
    try {
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] });
    } catch (error) {
      this.reportError(error, topic, partition);
    }
  }

  private redeliverLater(topic: string, partition: number, firstOffset: string, error: unknown): void {
    const attempts = this.recordFailure(topic, partition, error);
    const delayMs = retryDelayMs(attempts, this.retryBackoff);
    this.logger.warn(
      `Batch ${topic}[${partition}]@${firstOffset} failed (attempt ${attempts}), redelivering in ${delayMs} ms`,
    );
    if (!this.running || !this.consumer) return;
    // The offset recorded for commit is at most firstOffset (the batch before this one): it stays
    // right to commit, and the redelivered batch can only move it forward.
    this.consumer.seek({ topic, partition, offset: firstOffset });
    const key = partitionKey(topic, partition);
    const previous = this.backoffTimers.get(key);
    if (previous) clearTimeout(previous.timer);
    if (!this.pausedByUser) this.consumer.pause([{ topic, partitions: [partition] }]);
    const timer = setTimeout(() => {
      this.backoffTimers.delete(key);
      if (this.running && !this.pausedByUser) this.consumer?.resume([{ topic, partitions: [partition] }]);
    }, delayMs);
    this.backoffTimers.set(key, { topic, partition, timer });
  }

  private toKafkaBatch(payload: EachBatchPayload, transaction?: BatchTransaction): KafkaBatch {
    const { batch } = payload;
    return {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages.map(decodeMessage),
      highWatermark: batch.highWatermark,
      // A rebalance reported by the heartbeat is handled by kafkajs after the batch; the handler just finishes.
      heartbeat: () => payload.heartbeat().catch(() => undefined),
      ...(transaction ? { transaction } : {}),
    };
  }

  private async fetchCommittedOffset(admin: Admin, topic: string, partition: number): Promise<string | null> {
    const [offsets] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
    const offset = offsets?.partitions.find((p) => p.partition === partition)?.offset;
    return offset === undefined || BigInt(offset) < 0n ? null : offset;
  }
}

function byTopic(offsets: PartitionOffset[]): TopicOffsets[] {
  const topics = new Map<string, TopicOffsets>();
  for (const { topic, partition, offset } of offsets) {
    const entry = topics.get(topic) ?? { topic, partitions: [] };
    entry.partitions.push({ partition, offset });
    topics.set(topic, entry);
  }
  return [...topics.values()];
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
