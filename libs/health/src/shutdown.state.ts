import { BeforeApplicationShutdown, Injectable, OnModuleDestroy } from '@nestjs/common';

/**
 * Flips once when the app starts shutting down, so readiness (HTTP and gRPC) reports not-ready
 * while consumers drain. Nest runs the destroy hooks of global modules (this one) LAST, after
 * the feature modules have stopped their consumers, so main.ts also flips it the moment the
 * signal arrives (`beginShutdownOnSignals`); the hooks below are the fallback for `app.close()`.
 */
@Injectable()
export class ShutdownState implements OnModuleDestroy, BeforeApplicationShutdown {
  private since: number | undefined;
  private readonly listeners = new Set<() => void>();

  get shuttingDown(): boolean {
    return this.since !== undefined;
  }

  /** Epoch ms when shutdown began, if it has. */
  get shutdownSince(): number | undefined {
    return this.since;
  }

  begin(): void {
    if (this.since !== undefined) return;
    this.since = Date.now();
    for (const listener of this.listeners) listener();
    this.listeners.clear();
  }

  /** Calls `listener` once when shutdown begins (at once if it already has). Returns an unsubscribe. */
  onBegin(listener: () => void): () => void {
    if (this.shuttingDown) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onModuleDestroy(): void {
    this.begin();
  }

  beforeApplicationShutdown(): void {
    this.begin();
  }
}

/**
 * Flips `state` synchronously when one of `signals` arrives, before Nest's own shutdown hooks
 * (enableShutdownHooks) start closing modules. Register it before enableShutdownHooks.
 */
export function beginShutdownOnSignals(state: ShutdownState, signals: readonly NodeJS.Signals[]): () => void {
  const begin = (): void => state.begin();
  for (const signal of signals) process.once(signal, begin);
  return () => {
    for (const signal of signals) process.removeListener(signal, begin);
  };
}
