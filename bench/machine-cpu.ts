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

/** The local broker's and Redis' processes (pid undefined when not local or not ours). */
export function infraProcesses(
  brokers: readonly string[],
  redisUrl: string,
): { name: string; pid?: number }[] {
  return [
    { name: 'broker', pid: listeningPid(Number(brokers[0].split(':')[1] ?? 9092)) },
    { name: 'redis', pid: listeningPid(Number(new URL(redisUrl).port || 6379)) },
  ];
}

/** utime + stime of each process, ms (Linux /proc; clock ticks of 10 ms); gone processes are left out. */
export function processCpuMs(processes: readonly { name: string; pid?: number }[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const { name, pid } of processes) {
    if (!pid) continue;
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      result[name] = (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // the process is gone
    }
  }
  return result;
}
