import type Redis from 'ioredis';
import { DependencyCheck } from './dependency.check';

// While (re)connecting for the first time a PING waits in ioredis' offline queue until the
// connection is up, bounded by the check timeout. Between reconnect attempts, or once closed,
// Redis is down without asking.
const DOWN_STATUSES = new Set(['reconnecting', 'close', 'end']);

/** Redis is ready when the client is connected and answers PING within the check timeout. */
export function redisCheck(client: Redis, name = 'redis'): DependencyCheck {
  return {
    name,
    check: async () => {
      if (DOWN_STATUSES.has(client.status)) throw new Error(`client is ${client.status}`);
      const started = process.hrtime.bigint();
      await client.ping();
      return { pingMs: Number(process.hrtime.bigint() - started) / 1e6 };
    },
  };
}
