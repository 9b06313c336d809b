import { CheckDetails, DependencyCheck } from '@app/health';
import { TransportHealth } from '@app/kafka';

/** Consecutive failures of a batch after which the consumer counts as not ready (an outage, not a blip). */
export const NOT_READY_AFTER_ATTEMPTS = 3;

/**
 * Readiness of the enricher's consumer: joined its group, and no partition stuck retrying a batch
 * (Redis or the broker down). Flips back once the batch goes through.
 */
export function consumerReadinessCheck(
  health: () => TransportHealth,
  name = 'enricher-consumer',
): DependencyCheck {
  return {
    name,
    check: (): Promise<CheckDetails> => {
      const status = health();
      if (!status.joined)
        return Promise.reject(new Error(status.crashed ? 'consumer crashed' : 'consumer not joined'));
      const stuck = status.failing.filter((f) => f.attempts >= NOT_READY_AFTER_ATTEMPTS);
      if (stuck.length > 0) {
        const first = stuck[0];
        return Promise.reject(
          new Error(
            `${stuck.length} partition(s) retrying; ${first.topic}[${first.partition}]: ${first.lastError}`,
          ),
        );
      }
      const lag = status.lag.reduce((sum, l) => sum + l.lag, 0);
      return Promise.resolve({
        partitions: status.assigned.reduce((n, a) => n + a.partitions.length, 0),
        lag,
      });
    },
  };
}
