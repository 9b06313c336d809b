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
