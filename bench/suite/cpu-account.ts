import { machineCpuUs, processCpuMs } from '../machine-cpu';

export interface CpuReaders {
  /** Busy time of the whole machine, us. */
  machineUs(): number;
  /** CPU time per named process, ms (a gone process left out). */
  processMs(processes: readonly { name: string; pid?: number }[]): Record<string, number>;
}

const PROC: CpuReaders = { machineUs: machineCpuUs, processMs: processCpuMs };

/**
 * Starts counting the CPU time of the machine and of each process; `perEvent(n)` divides what was
 * spent since by n events, us each (`machine` and one entry per process measured at both ends;
 * null for no event).
 */
export function startCpuAccount(
  processes: readonly { name: string; pid?: number }[],
  readers: CpuReaders = PROC,
): { perEvent(events: number): Record<string, number> | null } {
  const machine0 = readers.machineUs();
  const process0 = readers.processMs(processes);
  return {
    perEvent(events) {
      if (events <= 0) return null;
      const machine1 = readers.machineUs();
      const process1 = readers.processMs(processes);
      const perEvent: Record<string, number> = { machine: Math.round((machine1 - machine0) / events) };
      for (const [name, ms] of Object.entries(process1))
        if (process0[name] !== undefined)
          perEvent[name] = Math.round(((ms - process0[name]) * 1_000) / events);
      return perEvent;
    },
  };
}
