import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { EventEmitter } from 'node:events';
import { lastValueFrom } from 'rxjs';
import {
  DEFAULT_RETRY_BACKOFF,
  FailingPartition,
  KafkaBatch,
  PartitionLag,
  RetryBackoffOptions,
  TransportObserver,
} from './batch.types';

/** Second handler argument, for `@Ctx()` and interceptors; the batch itself is the first one. */
export class KafkaBatchContext extends BaseRpcContext<[KafkaBatch]> {
  getBatch(): KafkaBatch {
    return this.args[0];
  }
}

export type BatchServerStatus = 'connecting' | 'connected' | 'rebalancing' | 'crashed' | 'disconnected';

// A type alias (not an interface) so it satisfies Server's Record<string, Function> constraint.
export type BatchServerEvents = {
  /** A batch failed and will be redelivered, or the consumer crashed. */
  error: (error: unknown) => void;
};

/**
 * Transport id of KafkaBatchServer AND InProcessBatchServer (they are interchangeable): pin a handler
 * with `@EventPattern(topic, KAFKA_BATCH_TRANSPORT)` in hybrid apps that also run e.g. gRPC.
 */
export const KAFKA_BATCH_TRANSPORT = Symbol('kafka-batch');

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** What the Kafka server and its in-process twin share: handler dispatch, observers, health bookkeeping. */
export abstract class BatchServerBase
  extends Server<BatchServerEvents, BatchServerStatus>
  implements CustomTransportStrategy
{
  protected readonly observers: TransportObserver[] = [];
  protected readonly events = new EventEmitter();
  protected readonly retryBackoff: RetryBackoffOptions;
  protected lastBatchAt: number | null = null;
  protected readonly lags = new Map<string, PartitionLag>();
  protected readonly failures = new Map<string, FailingPartition>();
  /**
   * Handler per topic, resolved once: Nest's getHandlerByPattern first tries JSON.parse on the
   * pattern, which throws (and builds a stack trace) for every plain topic name, once per batch.
   */
  private readonly handlersByTopic = new Map<string, MessageHandler>();

  protected constructor(
    retryBackoff: Partial<RetryBackoffOptions> | undefined,
    observer: TransportObserver | undefined,
  ) {
    super();
    this.transportId = KAFKA_BATCH_TRANSPORT;
    this.retryBackoff = { ...DEFAULT_RETRY_BACKOFF, ...retryBackoff };
    if (observer) this.observers.push(observer);
    // An 'error' event without listeners would throw: failures are reported, never fatal.
    this.events.on('error', () => undefined);
  }

  /** Plug metrics in after construction (libs/observability). */
  observe(observer: TransportObserver): void {
    this.observers.push(observer);
  }

  on<K extends keyof BatchServerEvents = keyof BatchServerEvents>(
    event: K,
    callback: BatchServerEvents[K],
  ): void {
    this.events.on(event, callback);
  }

  /** Topics to consume: the configured ones, else those of the registered `@EventPattern` handlers. */
  protected resolveTopics(configured: string[] | undefined): string[] {
    // Only event handlers: in a hybrid app, request/response handlers of other transports land here too.
    const eventPatterns = [...this.getHandlers()]
      .filter(([, handler]) => handler.isEventHandler)
      .map(([pattern]) => pattern);
    const topics = configured ?? eventPatterns;
    if (topics.length === 0)
      throw new Error('No topics to consume: no @EventPattern handlers are registered');
    const missing = topics.filter((topic) => !this.getHandlerByPattern(topic));
    if (missing.length > 0) throw new Error(`No @EventPattern handler for topic(s): ${missing.join(', ')}`);
    return topics;
  }

  /**
   * Runs the topic's handler through Nest's pipeline (guards, interceptors, filters) and resolves only
   * when it completed. Nest turns a thrown error into an erroring observable, hence lastValueFrom.
   */
  protected async runHandler(batch: KafkaBatch): Promise<void> {
    const handler = this.handlerOf(batch.topic);
    if (!handler) throw new Error(`No @EventPattern handler for topic ${batch.topic}`);
    const result: unknown = await handler(batch, new KafkaBatchContext([batch]));
    await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
  }

  private handlerOf(topic: string): MessageHandler | null {
    const cached = this.handlersByTopic.get(topic);
    if (cached) return cached;
    const handler = this.getHandlerByPattern(topic);
    if (handler) this.handlersByTopic.set(topic, handler);
    return handler;
  }

  protected recordSuccess(
    topic: string,
    partition: number,
    size: number,
    durationMs: number,
    lag: number,
  ): void {
    const key = partitionKey(topic, partition);
    this.failures.delete(key);
    this.lags.set(key, { topic, partition, lag });
    this.lastBatchAt = Date.now();
    for (const observer of this.observers) observer.onBatch?.(topic, partition, size, durationMs, lag);
  }

  /** Returns how many times in a row this partition's batch has now failed. */
  protected recordFailure(topic: string, partition: number, error: unknown): number {
    const key = partitionKey(topic, partition);
    const attempts = (this.failures.get(key)?.attempts ?? 0) + 1;
    this.failures.set(key, { topic, partition, attempts, lastError: describeError(error) });
    this.reportError(error, topic, partition);
    return attempts;
  }

  protected reportError(error: unknown, topic?: string, partition?: number): void {
    for (const observer of this.observers) observer.onError?.(error, topic, partition);
    this.events.emit('error', error);
  }

  protected setStatus(status: BatchServerStatus): void {
    this._status$.next(status);
  }
}

/** Nest's RPC filters turn unknown errors into `{ status, message }` objects: describe either. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}
