/**
 * Runs `task` every `intervalMs`, never two at once (a run still going skips the tick); a failed
 * run goes to `onError` and the next tick runs again. `stop` waits for the run in flight.
 */
export class SerialInterval {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly onError: (error: Error) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.task()
        .then(
          () => undefined,
          (error: unknown) => this.onError(error as Error),
        )
        .finally(() => {
          this.running = null;
        });
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
