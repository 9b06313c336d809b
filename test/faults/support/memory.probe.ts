import { readFileSync } from 'node:fs';

export interface MemorySample {
  /** Resident set size of the process, MB (from /proc). */
  rssMb: number;
  /** V8 heap in use, MB (the service's own nodejs_heap_size_used_bytes gauge). */
  heapUsedMb: number;
}

/** Memory of one service process: RSS from /proc/<pid>/status, heap from its GET /metrics. */
export async function sampleMemory(pid: number | undefined, httpUrl: string): Promise<MemorySample> {
  if (pid === undefined) throw new Error('the process is not running');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  const metrics = await (await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const heap = Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1] ?? NaN);
  return { rssMb: round(rssKb / 1024), heapUsedMb: round(heap / 2 ** 20) };
}

const round = (mb: number): number => Math.round(mb * 10) / 10;
