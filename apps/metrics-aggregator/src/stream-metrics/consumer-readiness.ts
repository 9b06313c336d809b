import { CheckDetails, DependencyCheck } from '@app/health';
import { TransportHealth } from '@app/kafka';

/** Consecutive failures of a batch after which the consumer counts as not ready (an outage, not a blip). */
export const NOT_READY_AFTER_ATTEMPTS = 3;

/**
 * Readiness of the aggregator's consumer: joined its group and no partition stuck retrying a batch
 * (Redis or the broker down). Registered by main.ts once the consumer is connected.
 */
export function aggregatorConsumerCheck(health: () => TransportHealth): DependencyCheck {
  return {
    name: 'aggregator-consumer',
    check: (): Promise<CheckDetails> => {
      const status = health();
      if (!status.joined) {
        return Promise.reject(new Error(status.crashed ? 'consumer crashed' : 'consumer not joined'));
      }
      const stuck = status.failing.filter((f) => f.attempts >= NOT_READY_AFTER_ATTEMPTS);
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
