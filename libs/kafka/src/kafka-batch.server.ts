import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { BatchTransaction, KafkaBatch, TransportHealth } from './batch.types';
import { BatchServerBase, describeError, partitionKey } from './batch-server.base';
import {
  KAFKA_BATCH_SERVER_DEFAULTS,
  KafkaBatchServerOptions,
  ResolvedKafkaBatchServerOptions,
} from './kafka-batch-server.options';
import { createKafka } from './kafka-connection.options';
import { DeferredOffsetCommitter } from './deferred-offset.committer';
import { EventLoopBudget } from './event-loop.budget';
import { decodeMessage, lagOf, nextOffset } from './message.codec';
import { ConsumerGroupMembership, GroupTransactions } from './group.transactions';
import { BatchTransactions, PartitionTransactions, TransactionalOptions } from './partition.transactions';
import { retryDelayMs, retryUntilStopped } from './retry.backoff';

/**
 * A consumer kafkajs will not restart (FENCED_INSTANCE_ID: another process joined under this
 * group instance id; an authorisation error) is replaced after this backoff. It grows with each
 * crash that comes within `maxMs` of the previous replacement, so two processes misconfigured with
 * one id take turns every minute at most instead of fencing each other back to back.
 */
export const CONSUMER_REPLACE_BACKOFF = { initialMs: 1_000, multiplier: 2, maxMs: 60_000 };

/**
 * Nest transport strategy on kafkajs `eachBatch`: `@EventPattern('<topic>')` handlers get one
 * partition's batch (`KafkaBatch`). Offsets are committed only after the handler's promise resolved:
 * several batches' together, at most every `offsetCommitIntervalMs` (in transactional mode: with the
 * transaction). A failing batch is never skipped: nothing is committed, the partition is sought back
 * to the batch start and paused for an exponential backoff, then the same batch is delivered again.
 */
export class KafkaBatchServer extends BatchServerBase {
  private readonly options: ResolvedKafkaBatchServerOptions;
  private kafka: Kafka | null = null;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private transactions: BatchTransactions | null = null;
  private offsetCommits: DeferredOffsetCommitter | null = null;
  private membership: ConsumerGroupMembership | null = null;
  private topics: string[] = [];
  private running = false;
  private joined = false;
  private crashed = false;
  private assigned: { topic: string; partitions: number[] }[] = [];
  private pausedByUser = false;
  private replacement: Promise<void> | null = null;
  /** Crashes in a row, each within CONSUMER_REPLACE_BACKOFF.maxMs of the previous replacement. */
  private crashStreak = 0;
  private lastReplacedAt = 0;
  private readonly stopped = new AbortController();
  private readonly eventLoop: EventLoopBudget;
  private readonly backoffTimers = new Map<
    string,
    { topic: string; partition: number; timer: NodeJS.Timeout }
  >();

  constructor(options: KafkaBatchServerOptions) {
    super(options.retryBackoff, options.observer);
    this.options = { ...KAFKA_BATCH_SERVER_DEFAULTS, ...stripUndefined(options) };
    this.eventLoop = new EventLoopBudget(this.options.eventLoopBudgetMs);
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
    this.stopped.abort();
    await this.replacement;
    for (const { timer } of this.backoffTimers.values()) clearTimeout(timer);
    this.backoffTimers.clear();
    // What finished before now commits here; kafkajs then stops fetching, waits for the in-flight
    // batches (which, with `running` false, commit themselves) and leaves the group.
    await this.offsetCommits?.flush();
    await this.consumer?.disconnect();
    this.offsetCommits?.discard();
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
    this.topics = this.resolveTopics(this.options.topics);
    const kafka = createKafka(this.options, 'consumer');
    this.kafka = kafka;
    if (this.options.transactional) {
      const admin = kafka.admin();
      this.admin = admin;
      await admin.connect();
      this.transactions = this.createTransactions(kafka, admin, this.options.transactional);
      await this.transactions.prepare();
    } else {
      this.offsetCommits = new DeferredOffsetCommitter(this.options.offsetCommitIntervalMs, (error) =>
        this.reportError(error),
      );
    }
    this.running = true;
    await this.runConsumer(kafka);
  }

  /** A new consumer of the group, subscribed and running (at boot, and to replace a crashed one). */
  private async runConsumer(kafka: Kafka): Promise<void> {
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      groupInstanceId: this.options.groupInstanceId,
      sessionTimeout: this.options.sessionTimeoutMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      minBytes: this.options.minBytes,
      maxBytes: this.options.maxBytes,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      readUncommitted: !this.options.readCommitted,
      // Group-scope transactions need the committed offsets stable (KIP-447): a previous owner's open
      // transaction may still commit offsets past them. Partition scope instead fences the previous
      // owner and re-reads; waiting there would last until that transaction times out.
      requireStableOffsets: this.options.transactional?.scope === 'group',
      allowAutoTopicCreation: false,
      retry: this.options.retry,
    });
    this.consumer = consumer;
    this.watchGroup(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: this.options.fromBeginning });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    if (this.pausedByUser) this.pause();
  }

  /**
   * kafkajs restarts its consumer only after retriable errors; after any other this process would
   * hold no partitions, and consume nothing, until someone restarted it (readiness fails, but no probe
   * restarts a pod for that). So a new consumer joins after CONSUMER_REPLACE_BACKOFF. What the
   * crashed one handled but had not committed is delivered again to the new one (at-least-once; the
   * effects are idempotent), and in transactional mode each partition is checked against the
   * committed offset again after the join.
   */
  private replaceLater(kafka: Kafka, crashed: Consumer, error: unknown): void {
    if (!this.running || this.replacement) return;
    const now = Date.now();
    this.crashStreak = now - this.lastReplacedAt < CONSUMER_REPLACE_BACKOFF.maxMs ? this.crashStreak + 1 : 1;
    const delayMs = retryDelayMs(this.crashStreak, CONSUMER_REPLACE_BACKOFF);
    this.logger.error(
      `Consumer of ${this.topics.join(', ')} stopped for good (${describeError(error)}); a new one joins in ${delayMs} ms`,
    );
    this.offsetCommits?.discard();
    for (const { timer } of this.backoffTimers.values()) clearTimeout(timer);
    this.backoffTimers.clear();
    this.consumer = null;
    const { signal } = this.stopped;
    this.replacement = (async () => {
      await crashed.disconnect().catch(() => undefined);
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      const replaced = await retryUntilStopped(() => this.runConsumer(kafka), {
        backoff: CONSUMER_REPLACE_BACKOFF,
        signal,
        onFailure: async (failure, _attempt, retryMs) => {
          const failed = this.consumer;
          this.consumer = null;
          await failed?.disconnect().catch(() => undefined);
          this.logger.warn(`New consumer failed (${describeError(failure)}), retry in ${retryMs} ms`);
        },
      });
      if (replaced) this.lastReplacedAt = Date.now();
    })().finally(() => (this.replacement = null));
  }

  private createTransactions(kafka: Kafka, admin: Admin, options: TransactionalOptions): BatchTransactions {
    if (options.scope === 'group') {
      return new GroupTransactions(kafka, this.options.groupId, options, {
        groupInstanceId: this.options.groupInstanceId,
        membership: () => this.membership,
        fetchStableCommittedOffset: (topic, partition) =>
          this.fetchCommittedOffset(admin, topic, partition, true),
      });
    }
    return new PartitionTransactions(kafka, this.options.groupId, options, (topic, partition) =>
      this.fetchCommittedOffset(admin, topic, partition),
    );
  }

  private watchGroup(consumer: Consumer): void {
    const { GROUP_JOIN, REBALANCING, CRASH, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      this.crashed = false;
      this.membership = {
        generationId: payload.generationId,
        memberId: payload.memberId,
        groupInstanceId: this.options.groupInstanceId ?? null,
      };
      this.assigned = Object.entries(payload.memberAssignment).map(([topic, partitions]) => ({
        topic,
        partitions,
      }));
      this.setStatus('connected');
      void this.transactions?.retainOnly(this.assigned);
      this.offsetCommits?.retainOnly(this.assigned);
    });
    consumer.on(REBALANCING, () => this.setStatus('rebalancing'));
    consumer.on(CRASH, ({ payload }) => {
      // kafkajs restarts the consumer itself when `restart` is true; otherwise it is replaced here.
      this.joined = false;
      this.crashed = !payload.restart;
      this.assigned = [];
      this.setStatus('crashed');
      this.reportError(payload.error);
      if (!payload.restart && this.kafka) this.replaceLater(this.kafka, consumer, payload.error);
    });
    consumer.on(STOP, () => {
      this.joined = false;
      this.membership = null;
    });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (!payload.isRunning() || payload.isStale() || batch.isEmpty()) return;
    const { topic, partition } = batch;
    // A consumer replaced meanwhile starts from the committed offsets: its successor is not sought.
    const consumer = this.consumer;
    const lastMessage = batch.messages[batch.messages.length - 1];
    const firstOffset = batch.firstOffset() ?? batch.messages[0].offset;
    // lastOffset() includes trailing control records (transaction markers), which must be passed too.
    const next = nextOffset(batch.lastOffset());
    const startedAt = performance.now();
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
          if (consumer === this.consumer) consumer?.seek({ topic, partition, offset: outcome.resumeAt });
          this.failures.delete(partitionKey(topic, partition));
          return;
        }
        payload.resolveOffset(lastMessage.offset); // advances kafkajs' fetch position (offsets are in the transaction)
      } else if (this.offsetCommits) {
        await this.runHandler(this.toKafkaBatch(payload));
        payload.resolveOffset(lastMessage.offset);
        this.offsetCommits.record({ topic, partition, offset: next }, (offsets) =>
          payload.commitOffsetsIfNecessary(offsets),
        );
        // Closing: kafkajs leaves the group once this batch returns, so its offset commits now.
        if (!this.running) await this.offsetCommits.flush();
      }
      this.recordSuccess(
        topic,
        partition,
        batch.messages.length,
        performance.now() - startedAt,
        lagOf(batch.highWatermark, next),
      );
    } catch (error) {
      this.redeliverLater(consumer, topic, partition, firstOffset, error);
    } finally {
      clearInterval(keepAlive);
    }
    // a handler that awaits no I/O (offsets commit later) must not hold the loop for a whole fetch
    await this.eventLoop.spend(performance.now() - startedAt);
  }

  private redeliverLater(
    consumer: Consumer | null,
    topic: string,
    partition: number,
    firstOffset: string,
    error: unknown,
  ): void {
    const attempts = this.recordFailure(topic, partition, error);
    const delayMs = retryDelayMs(attempts, this.retryBackoff);
    this.logger.warn(
      `Batch ${topic}[${partition}]@${firstOffset} failed (attempt ${attempts}), redelivering in ${delayMs} ms`,
    );
    if (!this.running || !consumer || consumer !== this.consumer) return;
    consumer.seek({ topic, partition, offset: firstOffset });
    const key = partitionKey(topic, partition);
    const previous = this.backoffTimers.get(key);
    if (previous) clearTimeout(previous.timer);
    if (!this.pausedByUser) consumer.pause([{ topic, partitions: [partition] }]);
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

  private async fetchCommittedOffset(
    admin: Admin,
    topic: string,
    partition: number,
    requireStable = false,
  ): Promise<string | null> {
    const [offsets] = await admin.fetchOffsets({
      groupId: this.options.groupId,
      topics: [topic],
      requireStable,
    });
    const offset = offsets?.partitions.find((p) => p.partition === partition)?.offset;
    return offset === undefined || BigInt(offset) < 0n ? null : offset;
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
