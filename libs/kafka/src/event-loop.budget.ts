import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * Lets the event loop turn once synchronous work done back to back reaches `budgetMs`. kafkajs hands
 * a fetch's batches over one after the other without a turn between them, so a handler that awaits
 * no I/O holds timers and sockets (health checks, heartbeats, HTTP requests) for the whole fetch: up
 * to maxBytes while a consumer catches up. Small batches at steady state stay under the budget and
 * keep running back to back, as before (a turn there would put the process's queued requests before
 * the rest of the fetch, i.e. delay fresh data).
 */
export class EventLoopBudget {
  private busyMs = 0;

  constructor(private readonly budgetMs: number) {}

  /** Counts `ms` of work; once the budget is spent, resolves after a turn of the event loop. */
  async spend(ms: number): Promise<void> {
    this.busyMs += ms;
    if (this.busyMs < this.budgetMs) return;
    this.busyMs = 0;
    await yieldToEventLoop();
  }
}
