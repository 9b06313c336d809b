import { setTimeout as sleep } from 'node:timers/promises';
import { availableParallelism } from 'node:os';
import { machineCpuUs } from '../machine-cpu';

export interface QuietWait {
  /** How long the section waited, ms. */
  waitedMs: number;
  /** The machine's busy share over the last window before the section began, % of all cores. */
  busyPct: number;
  /** false = it gave up at `maxWaitMs` with the machine still busy. */
  quiet: boolean;
}

export interface QuietWaitOptions {
  /** Busy share (% of all cores) under which the machine counts as quiet. */
  busyBelowPct: number;
  /** Window the busy share is measured over, ms. */
  windowMs: number;
  maxWaitMs: number;
  /** Busy CPU time of every core so far, us (tests pass their own). */
  busyUs?: () => number;
  cores?: number;
}

/**
 * Waits until the machine has been quiet for a window (or `maxWaitMs` passed), so a section does
 * not measure the leftovers of the one before it (a broker still busy with the last section's
 * topics, a process not yet gone), and says how busy it was. Session 19 found none after the mesh
 * stops (the suite awaits the deletion of its keys, which keeps Redis at ~83 % for ~30 s) and the
 * wait took its one window; the record is what tells a run on a busy machine apart.
 */
export async function waitForQuietMachine(options: QuietWaitOptions): Promise<QuietWait> {
  const busyUs = options.busyUs ?? machineCpuUs;
  const cores = options.cores ?? availableParallelism();
  const started = Date.now();
  for (;;) {
    const before = busyUs();
    const t0 = Date.now();
    await sleep(options.windowMs);
    const busyPct = ((busyUs() - before) / 1000 / ((Date.now() - t0) * cores)) * 100;
    const waitedMs = Date.now() - started;
    const quiet = busyPct < options.busyBelowPct;
    if (quiet || waitedMs >= options.maxWaitMs) return { waitedMs, busyPct: Math.round(busyPct), quiet };
  }
}
