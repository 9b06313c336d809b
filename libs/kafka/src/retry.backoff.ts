import { setTimeout as sleep } from 'node:timers/promises';
import { RetryBackoffOptions } from './batch.types';

/**
 * Delay before retry number `attempt` (1 = first retry), ms: initialMs * multiplier^(attempt-1),
 * capped at maxMs, with +-20 % jitter so replicas retrying the same outage do not synchronise.
 */
export function retryDelayMs(
  attempt: number,
  options: RetryBackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(options.maxMs, options.initialMs * Math.pow(options.multiplier, exponent));
  const jitter = 0.8 + 0.4 * random();
  return Math.round(Math.min(options.maxMs, base * jitter));
}

/**
 * Runs `attempt` until it resolves, waiting `retryDelayMs` between failures (`onFailure` logs and
 * cleans up), or until `signal` aborts, which also cuts a wait short. Resolves true once an attempt
 * succeeded, false when stopped first.
 */
export async function retryUntilStopped(
  attempt: () => Promise<void>,
  options: {
    backoff: RetryBackoffOptions;
    signal: AbortSignal;
    onFailure: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>;
  },
): Promise<boolean> {
  const { backoff, signal, onFailure } = options;
  for (let n = 1; !signal.aborted; n++) {
    try {
      await attempt();
      return true;
    } catch (error) {
      if (signal.aborted) break;
      const delayMs = retryDelayMs(n, backoff);
      await onFailure(error, n, delayMs);
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return false;
}
