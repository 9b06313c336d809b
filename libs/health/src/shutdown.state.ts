import { BeforeApplicationShutdown, Injectable, OnModuleDestroy } from '@nestjs/common';

/**
 * Flips once when the app starts shutting down, so readiness (HTTP now, gRPC later) reports
 * not-ready while consumers drain. Nest calls onModuleDestroy before beforeApplicationShutdown;
 * whichever reaches this provider first flips it.
 */
@Injectable()
export class ShutdownState implements OnModuleDestroy, BeforeApplicationShutdown {
  private since: number | undefined;

  get shuttingDown(): boolean {
    return this.since !== undefined;
  }

  /** Epoch ms when shutdown began, if it has. */
  get shutdownSince(): number | undefined {
    return this.since;
  }

  begin(): void {
    this.since ??= Date.now();
  }

  onModuleDestroy(): void {
    this.begin();
  }

  beforeApplicationShutdown(): void {
    this.begin();
  }
}
