import { Logger } from '@nestjs/common';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { childTraceContext, parseTraceparent, traceLogFields } from '@app/observability';
import { ChunkedApplier, DEFAULT_CHUNKED_APPLIER_OPTIONS } from './chunked.applier';
import { FreshTopicRetryOptions, retryWhileTopicSettles } from './fresh-topic.retry';
import { KafkaConnectionOptions, createKafka } from './kafka-connection.options';
import { retryUntilStopped } from './retry.backoff';

/** kafkajs' retries of one admin request of the reader (~1 s at most). */
const ADMIN_RETRY = { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 };

/**
 * kafkajs' retries of the consumer's requests. After the last one it restarts the consumer after
 * the last backoff: with its default (5 retries from 300 ms, doubling) that is ~10 s of waiting
 * after a broker outage, with the cache standing still; capped at 2 s here.
 */
const CONSUMER_RETRY = { retries: 8, initialRetryTime: 300, maxRetryTime: 2_000 };

/** Between attempts to replace a consumer kafkajs gave up on, ms (with jitter). */
const REPLACE_BACKOFF = { initialMs: 1_000, multiplier: 2, maxMs: 30_000 };

export interface CompactedRecord {
  key: string;
  /** null = tombstone. */
  value: Buffer | null;
  /** Record timestamp (producer create time), epoch ms. */
  timestamp: number;
}

export interface CompactedTopicReaderOptions {
  kafka: KafkaConnectionOptions;
  topic: string;
  /** Prefix of the throwaway group (a UUID is appended; nothing is committed). */
  groupIdPrefix: string;
  /**
   * Longest the broker holds an empty fetch, ms (default 100). Not the cache's latency floor: the
   * broker answers as soon as a record arrives; this only bounds the idle polling rate.
   */
  maxWaitTimeMs?: number;
  /**
   * How long start() retries the errors of a topic that is not there or not settled yet (unknown
   * topic, no leader / not the leader: a reader started right after the topic's creation), ms.
   * Default 30000.
   */
  startupRetryMs?: number;
  /**
   * A batch is applied in chunks of about this much wall time each, ms, and the event loop turns
   * whenever chunks applied back to back (the batches of one fetch too) took this long
   * (ChunkedApplier), so catching up does not hold the reader's process. Default 10.
   */
  applyBudgetMs?: number;
  /**
   * Read records of open and aborted transactions too (READ_UNCOMMITTED; default false). Only for a
   * feed of idempotent facts whose writer re-sends an aborted record when it retries (so a record
   * read early is one that will be committed), and whose `apply` tolerates a fenced writer's late
   * copy of a fact it has already moved past: records then arrive as soon as they are appended,
   * not after the writer's commit (its EndTxn and the markers: ~10-20 ms on this machine).
   */
  readUncommitted?: boolean;
  /**
   * Read only what is appended after the start (a feed that matters live only, never replayed):
   * caught up as soon as it runs. Default false (from the beginning).
   */
  fromEnd?: boolean;
}

/**
 * Reads a compacted change feed (metrics, watermarks, stream vectors) from the beginning of EVERY
 * partition with a throwaway consumer group and no commits, so each reader process holds the whole
 * state in memory. Caught up once every partition reached the high watermark it had at start
 * (readiness); with `fromEnd` (a live-only feed) it reads only what is appended after its start.
 * Batches are applied one at a time, in partition order (a large one in chunks).
 */
export class CompactedTopicReader {
  private readonly logger = new Logger(CompactedTopicReader.name);
  readonly groupId: string;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private readonly targets = new Map<number, number>();
  /** Next offset to apply, per partition: where a restarted or new consumer goes on from. */
  private readonly positions = new Map<number, number>();
  private running = false;
  /** The connect/subscribe/run in flight, so a stop during start waits for it and then undoes it. */
  private startup: Promise<void> | null = null;
  private waiters: (() => void)[] = [];
  private readonly stopped = new AbortController();
  /** Consumers started in place of one kafkajs gave up on (see `replace`). */
  replacements = 0;
  private readonly applier: ChunkedApplier<CompactedRecord>;

  constructor(
    private readonly options: CompactedTopicReaderOptions,
    apply: (records: readonly CompactedRecord[]) => void | Promise<void>,
    private readonly createClient: (
      options: KafkaConnectionOptions,
      clientIdSuffix: string,
    ) => Kafka = createKafka,
  ) {
    this.groupId = `${options.groupIdPrefix}-${randomUUID()}`;
    this.applier = new ChunkedApplier(apply, {
      ...DEFAULT_CHUNKED_APPLIER_OPTIONS,
      budgetMs: options.applyBudgetMs ?? DEFAULT_CHUNKED_APPLIER_OPTIONS.budgetMs,
    });
  }

  get caughtUp(): boolean {
    return this.running && this.targets.size === 0;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Partitions still behind the high watermarks seen at start. */
  behind(): number[] {
    return [...this.targets.keys()].sort((a, b) => a - b);
  }

  /** Rejects when the start fails (e.g. no broker); it can then be called again. */
  start(): Promise<void> {
    this.startup ??= this.connect().catch(async (error: unknown) => {
      this.startup = null;
      await this.release().catch(() => undefined);
      throw error;
    });
    return this.startup;
  }

  private async connect(): Promise<void> {
    this.targets.clear();
    const kafka = this.createClient(this.options.kafka, this.options.groupIdPrefix);
    // Few retries inside kafkajs: the start's own loop retries a topic that is not there yet (and
    // a stop ends it), and a failed start is retried by the owner; kafkajs' default (5 retries, up
    // to ~9 s) made a stop during start wait that long for the request in flight.
    this.admin = kafka.admin({ retry: ADMIN_RETRY });
    await this.admin.connect();
    await this.loadTargets(this.admin);
    await this.runConsumer(kafka);
  }

  /** Caught up = every partition read up to the end it has now (readiness). */
  private async loadTargets(admin: Admin): Promise<void> {
    this.targets.clear();
    // a live-only feed is caught up as soon as it runs: no ends to read first
    if (this.options.fromEnd) return;
    const offsets = await retryWhileTopicSettles(
      () => admin.fetchTopicOffsets(this.options.topic),
      this.settling(),
    );
    for (const p of offsets) {
      const high = Number(p.high);
      const position = this.positions.get(p.partition) ?? 0;
      // a position past the end: the topic was recreated, and the partition is read again
      const from = position > high ? Number(p.low) : Math.max(Number(p.low), position);
      if (high > from) this.targets.set(p.partition, high);
    }
  }

  private settling(): FreshTopicRetryOptions {
    return {
      timeoutMs: this.options.startupRetryMs ?? 30_000,
      // a stop (SIGTERM) must not wait out the retries of a topic that does not exist yet (it
      // still waits for the request in flight: kafkajs retries that one itself, ~9 s at most)
      signal: this.stopped.signal,
      onRetry: (error: unknown, attempt: number, delayMs: number) =>
        this.logger.warn(
          `${this.options.topic} not ready yet (${(error as Error).message}), retry ${attempt} in ${delayMs} ms`,
        ),
    };
  }

  /** A consumer of the whole topic from its beginning (or the positions: `resume`); `running` once it runs. */
  private async runConsumer(kafka: Kafka): Promise<void> {
    const consumer = kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 100,
      readUncommitted: this.options.readUncommitted ?? false,
      allowAutoTopicCreation: false,
      retry: {
        ...CONSUMER_RETRY,
        // a crash handled while stop() disconnects must not schedule a restart after it
        restartOnFailure: () => Promise.resolve(!this.stopped.signal.aborted),
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && this.consumer === consumer) this.replace(kafka, consumer, payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      // a restart kafkajs had begun before stop() joined after it: nothing else would end it
      if (this.stopped.signal.aborted) void consumer.disconnect().catch(() => undefined);
      else if (this.consumer === consumer)
        this.resume(consumer, payload.memberAssignment[this.options.topic] ?? []);
    });
    await consumer.connect();
    await retryWhileTopicSettles(
      // the throwaway group has no offsets: kafkajs starts where fromBeginning says
      () => consumer.subscribe({ topic: this.options.topic, fromBeginning: !this.options.fromEnd }),
      this.settling(),
    );
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.running = true;
    this.notify();
  }

  /**
   * kafkajs restarts a crashed consumer only after retriable errors; after any other it stays
   * stopped, and this process would serve a cache that silently stopped moving. So the reader
   * starts a new consumer (going on from the positions, see `resume`) and is not caught up
   * (readiness fails) until it runs and has read to the topic's current end.
   */
  private replace(kafka: Kafka, crashed: Consumer, error: Error): void {
    if (this.stopped.signal.aborted) return;
    this.logger.error(`${this.options.topic} reader stopped (${error.message}); starting a new consumer`);
    this.running = false;
    this.consumer = null;
    this.startup = (async () => {
      await crashed.disconnect().catch(() => undefined);
      const replaced = await retryUntilStopped(
        async () => {
          if (this.admin) await this.loadTargets(this.admin);
          await this.runConsumer(kafka);
        },
        {
          backoff: REPLACE_BACKOFF,
          signal: this.stopped.signal,
          onFailure: async (failure, _attempt, delayMs) => {
            const old = this.consumer;
            this.consumer = null;
            await old?.disconnect().catch(() => undefined);
            this.logger.warn(
              `${this.options.topic} reader: new consumer failed (${(failure as Error).message}), retry in ${delayMs} ms`,
            );
          },
        },
      );
      if (replaced) this.replacements += 1;
    })();
  }

  /**
   * Nothing is committed, so a consumer that joins (kafkajs restarts its consumer after connection
   * errors, e.g. a broker restart, and `replace` starts a new one) would start at the beginning of
   * the topic and apply every older record again: the cache would go back in time (an ended
   * stream live again) until the replay reached the end. It goes on from the positions instead;
   * `onBatch` skips what a fetch already in flight returns from before them.
   */
  private resume(consumer: Consumer, partitions: number[]): void {
    const resumed: string[] = [];
    for (const partition of partitions) {
      const offset = this.positions.get(partition);
      if (offset === undefined) continue;
      consumer.seek({ topic: this.options.topic, partition, offset: String(offset) });
      resumed.push(`${partition}@${offset}`);
    }
    if (resumed.length > 0)
      this.logger.log(`${this.options.topic} consumer joined again, resuming at ${resumed.join(' ')}`);
  }

  /** Resolves true once caught up, false after `timeoutMs`. */
  waitUntilCaughtUp(timeoutMs: number): Promise<boolean> {
    if (this.caughtUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.startup?.catch(() => undefined);
    await this.release();
  }

  /** Disconnects the consumer and the admin (deleting the throwaway group). */
  private async release(): Promise<void> {
    this.running = false;
    await this.consumer?.disconnect();
    this.consumer = null;
    if (this.admin) {
      await this.admin.deleteGroups([this.groupId]).catch(() => undefined);
      await this.admin.disconnect();
      this.admin = null;
    }
  }

  /**
   * The last hop of a trace: a change-feed record carrying a SAMPLED traceparent (the aggregator
   * and writer forward one on lifecycle records) gets one log line once it is applied here, so an
   * operator can follow an event from the ingress to the reader's cache. Untraced records cost a
   * header lookup.
   */
  private logTraced(topic: string, partition: number, messages: EachBatchPayload['batch']['messages']): void {
    for (const m of messages) {
      const header = m.headers?.traceparent;
      if (header === undefined) continue;
      const parent = parseTraceparent(Array.isArray(header) ? String(header[0]) : String(header));
      if (!parent || (parent.flags & 1) === 0) continue;
      this.logger.log({
        msg: 'change-feed record applied',
        topic,
        partition,
        offset: m.offset,
        key: m.key?.toString('utf8'),
        ...traceLogFields(childTraceContext(parent)),
        parentSpanId: parent.spanId,
      });
    }
  }

  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    const messages = this.unapplied(batch);
    const records: CompactedRecord[] = [];
    for (const m of messages) {
      if (!m.key) continue;
      records.push({ key: m.key.toString('utf8'), value: m.value, timestamp: Number(m.timestamp) });
    }
    try {
      await this.applier.applyAll(records);
    } catch (error) {
      // a bad record must not stop the cache: it is counted/skipped by `apply`; this is a bug guard
      this.logger.error(`applying ${this.options.topic} records failed: ${(error as Error).message}`);
    }
    this.logTraced(batch.topic, batch.partition, messages);
    const last = batch.messages.at(-1);
    if (!last) return;
    const next = Number(last.offset) + 1;
    if (next > (this.positions.get(batch.partition) ?? 0)) this.positions.set(batch.partition, next);
    const target = this.targets.get(batch.partition);
    if (target !== undefined && next >= target) {
      this.targets.delete(batch.partition);
      this.notify();
    }
  }

  /** The batch's messages from the partition's position on (all of them when the topic was recreated). */
  private unapplied(batch: EachBatchPayload['batch']): EachBatchPayload['batch']['messages'] {
    const position = this.positions.get(batch.partition);
    if (position === undefined) return batch.messages;
    if (Number(batch.highWatermark) < position) {
      this.logger.warn(
        `${batch.topic}[${batch.partition}] ends at ${batch.highWatermark}, before the ${position} already read: the topic was recreated; reading it again`,
      );
      this.positions.delete(batch.partition);
      return batch.messages;
    }
    const first = batch.messages.findIndex((m) => Number(m.offset) >= position);
    return first === 0 ? batch.messages : first < 0 ? [] : batch.messages.slice(first);
  }

  private notify(): void {
    if (!this.caughtUp) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
