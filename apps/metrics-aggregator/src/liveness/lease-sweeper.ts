import { EventProducer, TransportHealth } from '@app/kafka';
import { Logger } from '@nestjs/common';
import { AggregateStateRepository } from '../state/aggregate-state.repository';
import { expiredEventId } from './expired-event-id';
import { SerialInterval } from './serial-interval';
import { sendChunked } from '../aggregation/send-chunked';

export interface LeaseSweeperOptions {
  enrichedTopic: string;
  rawTopic: string;
  /** No heartbeat or engagement for this long (wall clock vs event time) = expired, ms. */
  streamLeaseMs: number;
  sweepIntervalMs: number;
  /** Expiries written per partition per sweep at most. */
  maxPerSweep?: number;
}

/** Which input partitions this instance owns and how far behind it is (the consumer's health). */
export type HealthSource = () => TransportHealth;

/**
 * Ends the leases of silent streams. For every owned input partition that is caught up (lag 0,
 * or assigned for a whole sweep without a batch: nothing to read), streams whose last activity
 * is older than streamLeaseMs get a `stream.expired` on the RAW topic (key streamId, so the same
 * partition), with eventId = expiredEventId(streamId, lastActivityAt) and occurredAt =
 * lastActivityAt + streamLeaseMs: two sweepers, or a sweep repeated before the expiry came back
 * through the enricher, write byte-identical events that the enricher deduplicates. The stream
 * ends when that event is applied (and only if its lease was not renewed meanwhile).
 */
export class LeaseSweeper {
  private readonly logger = new Logger(LeaseSweeper.name);
  private readonly assignedSince = new Map<number, number>();
  private readonly interval: SerialInterval;

  constructor(
    private readonly repository: AggregateStateRepository,
    private readonly producer: EventProducer,
    private readonly health: HealthSource,
    private readonly options: LeaseSweeperOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.interval = new SerialInterval(
      options.sweepIntervalMs,
      () => this.sweep(),
      (error) => this.logger.warn(`lease sweep failed: ${error.message}`),
    );
  }

  start(): void {
    this.interval.start();
  }

  stop(): Promise<void> {
    return this.interval.stop();
  }

  /** One sweep over the owned, caught-up partitions; returns the expiries written. */
  async sweep(): Promise<number> {
    const now = this.clock();
    const health = this.health();
    const owned = health.assigned.find((a) => a.topic === this.options.enrichedTopic)?.partitions ?? [];
    for (const p of [...this.assignedSince.keys()]) if (!owned.includes(p)) this.assignedSince.delete(p);
    let written = 0;
    for (const partition of owned) {
      if (!this.assignedSince.has(partition)) this.assignedSince.set(partition, now);
      if (!this.caughtUp(health, partition, now)) continue;
      const holders = await this.repository.leaseHolders(
        this.options.enrichedTopic,
        partition,
        now - this.options.streamLeaseMs,
        this.options.maxPerSweep ?? 1_000,
      );
      if (holders.length === 0) continue;
      await sendChunked(
        this.producer,
        this.options.rawTopic,
        holders.map(({ streamId, lastActivityAt }) => ({
          key: streamId,
          value: JSON.stringify({
            eventId: expiredEventId(streamId, lastActivityAt),
            type: 'stream.expired',
            schemaVersion: 1,
            occurredAt: lastActivityAt + this.options.streamLeaseMs,
            data: { streamId },
          }),
        })),
      );
      written += holders.length;
    }
    return written;
  }

  private caughtUp(health: TransportHealth, partition: number, now: number): boolean {
    if (!health.joined || health.paused) return false;
    if (health.failing.some((f) => f.topic === this.options.enrichedTopic && f.partition === partition))
      return false;
    const lag = health.lag.find((l) => l.topic === this.options.enrichedTopic && l.partition === partition);
    if (lag) return lag.lag === 0;
    return now - (this.assignedSince.get(partition) ?? now) >= this.options.sweepIntervalMs;
  }
}
