import type { RedisOptions } from 'ioredis';

export interface RedisModuleOptions {
  /** redis:// or rediss:// URL, credentials and db included. */
  url: string;
  /** Prepended to every key by ioredis (not to SCAN/KEYS patterns: add it there yourself). */
  keyPrefix?: string;
  /** Shows in CLIENT LIST; defaults to none. */
  connectionName?: string;
  /**
   * How often a command is retried across reconnects before it fails. Default `null`: commands
   * wait in the offline queue for as long as Redis is down, so an outage is backpressure (the
   * consumer's batch simply takes longer) and never a dropped write. Set a number where a fast
   * failure is better than waiting (e.g. a request path with its own deadline).
   */
  maxRetriesPerRequest?: number | null;
}

/** Reconnect delay after the `attempt`-th failure: 50 ms doubling to a 2 s cap, +-20% jitter. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(50 * 2 ** Math.max(0, attempt - 1), 2000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** ioredis options: reconnect forever with backoff, keepalive to notice dead peers. */
export function toIoredisOptions(options: RedisModuleOptions): RedisOptions {
  return {
    keyPrefix: options.keyPrefix,
    connectionName: options.connectionName,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
    // never returns null: giving up would leave the service half-alive
    retryStrategy: (times) => reconnectDelayMs(times),
    // after a failover the old primary answers READONLY: reconnect to find the new one
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    enableOfflineQueue: true,
    keepAlive: 10_000,
    // ms to wait for a closing socket before destroying it (ioredis default 2 s holds shutdown up)
    disconnectTimeout: 500,
  };
}
