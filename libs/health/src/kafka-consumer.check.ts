import type { TransportHealth } from '@app/kafka';
import { CheckDetails, DependencyCheck } from './dependency.check';

/** Consecutive failures of a batch after which a consumer counts as not ready (an outage, not a blip). */
export const CONSUMER_NOT_READY_AFTER_ATTEMPTS = 3;

/**
 * Readiness of a batch consumer: joined its group, and no partition stuck retrying a batch (Redis or
 * the broker down). Flips back once the batch goes through.
 */
export function kafkaConsumerCheck(name: string, health: () => TransportHealth): DependencyCheck {
  return {
    name,
    check: (): Promise<CheckDetails> => {
      const status = health();
      if (!status.joined) {
        return Promise.reject(new Error(status.crashed ? 'consumer crashed' : 'consumer not joined'));
      }
      const stuck = status.failing.filter((f) => f.attempts >= CONSUMER_NOT_READY_AFTER_ATTEMPTS);
      if (stuck.length > 0) {
        const { topic, partition, lastError } = stuck[0];
        return Promise.reject(
          new Error(`${stuck.length} partition(s) retrying; ${topic}[${partition}]: ${lastError}`),
        );
      }
      return Promise.resolve({
        partitions: status.assigned.reduce((n, a) => n + a.partitions.length, 0),
        lag: status.lag.reduce((sum, l) => sum + l.lag, 0),
      });
    },
  };
}
