import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { CheckDetails, DependencyCheck, withTimeout } from './dependency.check';

export interface CheckOutcome {
  name: string;
  up: boolean;
  details: CheckDetails;
}

/**
 * The dependencies readiness checks. The app's root module registers its initial set through
 * HealthModule options; feature modules may add theirs (e.g. "consumer joined") at init.
 */
@Injectable()
export class ReadinessRegistry implements OnApplicationShutdown {
  private readonly checks = new Map<string, DependencyCheck>();
  // a slow dependency must not pile up probes: concurrent callers share the running one
  private readonly running = new Map<string, Promise<CheckOutcome>>();
  private readonly listeners = new Set<(outcomes: readonly CheckOutcome[]) => void>();

  constructor(private readonly timeoutMs: number) {}

  register(check: DependencyCheck): void {
    if (this.checks.has(check.name)) throw new Error(`readiness check "${check.name}" is registered twice`);
    this.checks.set(check.name, check);
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  /**
   * Runs every check in parallel, each bounded by the timeout; never rejects. Listeners get the
   * outcomes of every run, whoever asked (HTTP probe, gRPC poll), so each view stays current.
   */
  async runAll(): Promise<CheckOutcome[]> {
    const outcomes = await Promise.all([...this.checks.values()].map((check) => this.run(check)));
    for (const listener of this.listeners) listener(outcomes);
    return outcomes;
  }

  /** Follows every completed runAll. Returns an unsubscribe. */
  onOutcomes(listener: (outcomes: readonly CheckOutcome[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private run(check: DependencyCheck): Promise<CheckOutcome> {
    const existing = this.running.get(check.name);
    if (existing) return existing;
    const outcome = withTimeout(check.check(), this.timeoutMs, check.name).then(
      (details): CheckOutcome => ({ name: check.name, up: true, details: details ?? {} }),
      (error: unknown): CheckOutcome => ({
        name: check.name,
        up: false,
        details: { message: error instanceof Error ? error.message : String(error) },
      }),
    );
    this.running.set(check.name, outcome);
    void outcome.finally(() => this.running.delete(check.name));
    return outcome;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [...this.checks.values()].map(async (check) => {
        await check.close?.().catch(() => undefined);
      }),
    );
  }
}
