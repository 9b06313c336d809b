import {
  KafkaBatch,
  KafkaInboundMessage,
  RetryBackoffOptions,
  TransportHealth,
  TransportObserver,
} from '../batch.types';
import { BatchServerBase } from '../batch-server.base';
import { retryDelayMs } from '../retry.backoff';
import { InProcessBus, StoredMessage, TopicWrite } from './in-process.bus';
import { InProcessTransaction } from './in-process.transaction';

export interface InProcessBatchServerOptions {
  bus: InProcessBus;
  groupId: string;
  /** Default: the topics of the registered `@EventPattern` handlers. */
  topics?: string[];
  /** Where a group without committed offsets starts. Default true. */
  fromBeginning?: boolean;
  /** Messages per batch at most. Default 500. */
  maxBatchMessages?: number;
  /** Give handlers `batch.transaction`, applied atomically with the offsets (mirror the Kafka server's mode). */
  transactional?: boolean;
  retryBackoff?: Partial<RetryBackoffOptions>;
  observer?: TransportObserver;
}

/** Resolves on the next `wake()`; a fresh promise after each wake. */
class Wakeup {
  private resolvers: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.resolvers.push(resolve));
  }

  wake(): void {
    const resolvers = this.resolvers;
    this.resolvers = [];
    resolvers.forEach((resolve) => resolve());
  }
}

/**
 * The in-process twin of KafkaBatchServer: same handlers, same `KafkaBatch`, same guarantees
 * (per-partition order, so per-key order; at-least-once: a throwing handler gets the same batch
 * again after a backoff; offsets and transactional sends applied atomically only on success).
 */
export class InProcessBatchServer extends BatchServerBase {
  private readonly bus: InProcessBus;
  private readonly maxBatchMessages: number;
  private running = false;
  private paused = false;
  private topics: string[] = [];
  private readonly positions = new Map<string, { topic: string; partition: number; next: number }>();
  private readonly wakeup = new Wakeup();
  private loops: Promise<void>[] = [];
  private signalClosed: () => void = () => undefined;
  private readonly closed = new Promise<void>((resolve) => (this.signalClosed = resolve));
  private releases: (() => void)[] = [];

  constructor(private readonly options: InProcessBatchServerOptions) {
    super(options.retryBackoff, options.observer);
    this.bus = options.bus;
    this.maxBatchMessages = options.maxBatchMessages ?? 500;
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      this.topics = this.resolveTopics(this.options.topics);
      this.releases.push(this.bus.joinGroup(this.options.groupId, this));
      for (const topic of this.topics) this.releases.push(this.bus.onAppend(topic, () => this.wakeup.wake()));
      this.running = true;
      this.loops = this.topics.flatMap((topic) =>
        Array.from({ length: this.bus.partitionCount(topic) }, (_, partition) =>
          this.consume(topic, partition),
        ),
      );
      this.setStatus('connected');
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops taking batches, lets in-flight ones finish (and commit). */
  async close(): Promise<void> {
    this.running = false;
    this.signalClosed();
    this.wakeup.wake();
    await Promise.all(this.loops);
    this.releases.forEach((release) => release());
    this.releases = [];
    this.setStatus('disconnected');
  }

  unwrap<T>(): T {
    return this.bus as unknown as T;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wakeup.wake();
  }

  health(): TransportHealth {
    const positions = [...this.positions.values()];
    return {
      joined: this.running,
      crashed: false,
      lastBatchAt: this.lastBatchAt,
      assigned: this.topics.map((topic) => ({
        topic,
        partitions: Array.from({ length: this.bus.partitionCount(topic) }, (_, p) => p),
      })),
      lag: positions.map(({ topic, partition, next }) => ({
        topic,
        partition,
        lag: this.bus.highWatermark(topic, partition) - next,
      })),
      paused: this.paused,
      failing: [...this.failures.values()],
    };
  }

  private async consume(topic: string, partition: number): Promise<void> {
    const { groupId } = this.options;
    const start =
      this.bus.committedOffset(groupId, topic, partition) ??
      ((this.options.fromBeginning ?? true) ? 0 : this.bus.highWatermark(topic, partition));
    const position = { topic, partition, next: start };
    this.positions.set(`${topic}\u0000${partition}`, position);
    while (this.running) {
      const stored = this.paused ? [] : this.bus.read(topic, partition, position.next, this.maxBatchMessages);
      if (stored.length === 0) {
        await this.wakeup.wait();
        continue;
      }
      // offsets have gaps where the bus dropped records (retention, compaction)
      const next = stored[stored.length - 1].offset + 1;
      const started = Date.now();
      const transaction = this.options.transactional ? new InProcessTransaction() : null;
      try {
        await this.runHandler(this.toBatch(topic, partition, stored, transaction));
        const writes: TopicWrite[] = transaction ? transaction.end() : [];
        this.bus.commit(writes, { groupId, topic, partition, offset: next });
        position.next = next;
        const lag = this.bus.highWatermark(topic, partition) - next;
        this.recordSuccess(topic, partition, stored.length, Date.now() - started, lag);
      } catch (error) {
        transaction?.end();
        const attempts = this.recordFailure(topic, partition, error);
        await this.sleepUnlessClosed(retryDelayMs(attempts, this.retryBackoff));
      }
    }
  }

  private toBatch(
    topic: string,
    partition: number,
    stored: StoredMessage[],
    transaction: InProcessTransaction | null,
  ): KafkaBatch {
    const messages: KafkaInboundMessage[] = stored.map((m) => ({
      offset: String(m.offset),
      key: m.key,
      value: m.value,
      headers: { ...m.headers },
      timestamp: m.timestamp,
    }));
    return {
      topic,
      partition,
      messages,
      highWatermark: String(this.bus.highWatermark(topic, partition)),
      heartbeat: () => Promise.resolve(),
      ...(transaction ? { transaction } : {}),
    };
  }

  private async sleepUnlessClosed(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.closed]);
    clearTimeout(timer);
  }
}
