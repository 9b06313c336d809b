import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Busy CPU time of every core since boot, us (/proc/stat: all but idle and iowait, 100 ticks a second). */
export function machineCpuUs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) * 10_000;
}

/** The pid listening on a local TCP port (`ss`, iproute2), or undefined (not running, not ours). */
export function listeningPid(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const pid = /pid=(\d+)/.exec(out)?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  }
}
