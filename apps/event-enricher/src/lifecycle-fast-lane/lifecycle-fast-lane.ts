import type { ParseEventOptions } from '@app/contracts';
import { createKafka, KafkaConnectionOptions, retryUntilStopped } from '@app/kafka';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import { Counter, Registry } from 'prom-client';
import { fastLifecycleRecords } from './fast-lifecycle.records';

/** Between attempts to (re)start the lane, ms (with jitter). */
const START_BACKOFF = { initialMs: 1_000, multiplier: 2, maxMs: 30_000 };

export interface LifecycleFastLaneOptions {
  kafka: KafkaConnectionOptions;
  /** Its own consumer group (the enricher replicas share the raw partitions out, as for the round). */
  groupId: string;
  rawTopic: string;
  /** The fast lane's topic (TOPIC_STREAM_LIFECYCLE_FAST), not the lifecycle feed itself. */
  fastTopic: string;
  /** Longest the broker holds an empty fetch, ms. */
  maxWaitTimeMs: number;
  parseOptions: () => ParseEventOptions;
}

/**
 * The enricher's second reader of the raw topic: it writes each start, end and removal to the
 * lifecycle fast lane as soon as it is fetched, so the feed shows a new stream (and drops an ended
 * one) without waiting for the transaction round - which, under load, waits for the round in
 * progress, the next fetch and the Redis claims (docs/benchmarks.md, "Where the time goes"). The
 * round still writes the lifecycle feed, the record the recommender replays; this lane is an early
 * copy read live only, so it commits nothing, starts at the end of the topic, and drops what it
 * cannot send: anything it misses arrives with the round's records, at most ~ENRICHER_MAX_WAIT_MS
 * plus a round later (the round's fetch waits for ENRICHER_FETCH_MIN_BYTES while the lane runs).
 */
export class LifecycleFastLane implements OnApplicationShutdown {
  private readonly logger = new Logger(LifecycleFastLane.name);
  private readonly stopped = new AbortController();
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;
  private running: Promise<boolean> | null = null;
  private readonly records: Counter<'outcome'>;

  constructor(
    private readonly options: LifecycleFastLaneOptions,
    registry: Registry,
  ) {
    this.records = new Counter({
      name: 'nowcast_enricher_fast_lane_records_total',
      help: 'Lifecycle records of the fast lane: sent, or dropped when the send failed (the transaction round still writes them).',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  /** Starts consuming in the background (retried with backoff until it runs or the lane stops). */
  start(): Promise<boolean> {
    this.running ??= this.run();
    return this.running;
  }

  private run(): Promise<boolean> {
    return retryUntilStopped(() => this.connect(), {
      backoff: START_BACKOFF,
      signal: this.stopped.signal,
      onFailure: async (error, attempt, delayMs) => {
        await this.release();
        this.logger.warn(
          `lifecycle fast lane failed to start (${(error as Error).message}); retry ${attempt} in ${delayMs} ms`,
        );
      },
    });
  }

  private async connect(): Promise<void> {
    const kafka = createKafka(this.options.kafka, 'lifecycle-fast');
    // not idempotent: a retry's copy of a record is as harmless as the round's copy of it
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    this.producer = producer;
    await producer.connect();
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: () => Promise.resolve(!this.stopped.signal.aborted) },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopped.signal.aborted || this.consumer !== consumer) return;
      // kafkajs gave up on it: the lane would stand still without a word
      this.logger.error(`lifecycle fast lane stopped (${payload.error.message}); starting it again`);
      this.running = this.release().then(() => this.run());
    });
    await consumer.connect();
    // nothing is ever committed: a member that joins starts at the end, where the lane is useful
    await consumer.subscribe({ topic: this.options.rawTopic, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: (payload) => this.onBatch(payload) });
    this.logger.log(`lifecycle fast lane: ${this.options.rawTopic} -> ${this.options.fastTopic}`);
  }

  private async onBatch({ batch }: EachBatchPayload): Promise<void> {
    const messages = fastLifecycleRecords(batch.messages, this.options.parseOptions);
    if (messages.length === 0) return;
    try {
      await this.producer!.send({ topic: this.options.fastTopic, messages });
      this.records.inc({ outcome: 'sent' }, messages.length);
    } catch (error) {
      this.records.inc({ outcome: 'dropped' }, messages.length);
      this.logger.warn(
        `lifecycle fast lane dropped ${messages.length} records (${(error as Error).message})`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.running?.catch(() => undefined);
    await this.release();
  }

  private async release(): Promise<void> {
    const { consumer, producer } = this;
    this.consumer = null;
    this.producer = null;
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
}
