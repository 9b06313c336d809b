import { setTimeout as wait } from 'node:timers/promises';
import { retryDelayMs } from './retry.backoff';

/**
 * kafkajs error types a just-created topic gives until its metadata and leaders have settled on
 * every broker (kafkajs' admin.fetchTopicOffsets retries only UNKNOWN_TOPIC_OR_PARTITION and only
 * a few times; it bails on the others).
 */
const SETTLING_TYPES = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
]);
/** kafkajs errors by name for the same state: no broker yet for the partition's leader id. */
const SETTLING_NAMES = new Set(['KafkaJSBrokerNotFound', 'KafkaJSTopicMetadataNotLoaded']);

/** True for an error a freshly created (or not yet created) topic gives while it settles. */
export function isFreshTopicError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { type, name } = e as { type?: unknown; name?: unknown };
    if (typeof type === 'string' && SETTLING_TYPES.has(type)) return true;
    if (typeof name === 'string' && SETTLING_NAMES.has(name)) return true;
    // kafkajs wraps retried errors (KafkaJSNumberOfRetriesExceeded.originalError)
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

export interface FreshTopicRetryOptions {
  /** Give up (rethrow the last error) after this long, ms. */
  timeoutMs: number;
  /** Called before each wait (logging). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Stops the retries at once (the last error is rethrown): e.g. the owner is shutting down. */
  signal?: AbortSignal;
}

/** Runs `fn` again, with backoff (100 ms doubling to 2 s), while it fails with a fresh-topic error. */
export async function retryWhileTopicSettles<T>(
  fn: () => Promise<T>,
  options: FreshTopicRetryOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const { signal } = options;
  const sleep = options.sleep ?? ((ms: number) => wait(ms, undefined, { signal }).catch(() => undefined));
  const deadline = now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isFreshTopicError(error) || now() >= deadline || signal?.aborted) throw error;
      const delayMs = retryDelayMs(attempt, { initialMs: 100, multiplier: 2, maxMs: 2_000 });
      options.onRetry?.(error, attempt, delayMs);
      await sleep(delayMs);
      if (signal?.aborted) throw error;
    }
  }
}
