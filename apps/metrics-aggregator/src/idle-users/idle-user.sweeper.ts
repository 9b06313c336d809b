import { Logger } from '@nestjs/common';
import { SerialInterval } from '../liveness/serial-interval';
import { AggregateStateRepository } from '../state/aggregate-state.repository';

export interface IdleUserSweeperOptions {
  /** USER_ENGAGEMENT_TTL_SEC: idle this long (event time of the user's last batch) = swept; 0 = never. */
  userTtlSec: number;
  /** Time between sweeps, ms. */
  intervalMs: number;
  /** Users per script call: one call blocks Redis for ~6 UNLINKs per user. */
  usersPerCall?: number;
  /** Calls per sweep at most, so one sweep never monopolises Redis after a long pause. */
  maxCallsPerSweep?: number;
  /** Told the users each sweep deleted (the module counts them in Prometheus). */
  onSwept?: (users: number) => void;
}

/** Default time between sweeps: the TTL is days, a sweep a quarter-hour late changes nothing. */
export const IDLE_USER_SWEEP_INTERVAL_MS = 15 * 60_000;

/**
 * Deletes the engagement keys of users idle for USER_ENGAGEMENT_TTL_SEC (the apply script records
 * each user's last batch in users:seen): without it every user ever seen keeps ~6 keys in Redis
 * for good. Any number of aggregator instances may sweep at once: each call is one atomic script
 * that deletes a user at most once.
 */
export class IdleUserSweeper {
  private readonly logger = new Logger(IdleUserSweeper.name);
  private readonly interval: SerialInterval;

  constructor(
    private readonly repository: AggregateStateRepository,
    private readonly options: IdleUserSweeperOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.interval = new SerialInterval(
      options.intervalMs,
      async () => {
        const swept = await this.sweep();
        if (swept > 0) this.logger.log(`swept the engagement keys of ${swept} idle users`);
      },
      (error) => this.logger.warn(`idle-user sweep failed: ${error.message}`),
    );
  }

  start(): void {
    if (this.options.userTtlSec > 0) this.interval.start();
  }

  stop(): Promise<void> {
    return this.interval.stop();
  }

  /** One sweep; returns the users whose keys it deleted. */
  async sweep(): Promise<number> {
    if (this.options.userTtlSec <= 0) return 0;
    const cutoff = this.clock() - this.options.userTtlSec * 1000;
    const perCall = this.options.usersPerCall ?? 500;
    const maxCalls = this.options.maxCallsPerSweep ?? 200;
    let swept = 0;
    for (let call = 0; call < maxCalls; call++) {
      const n = await this.repository.sweepIdleUsers(cutoff, perCall);
      swept += n;
      if (n < perCall) break;
    }
    if (swept > 0) this.options.onSwept?.(swept);
    return swept;
  }
}
