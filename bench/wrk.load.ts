import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What the feed bench reads from a load run, whichever generator made it. */
export interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

export interface WrkLoad {
  port: number;
  connections: number;
  durationSec: number;
  /** Lua expression of the request path for request number `n` (per wrk thread, offset by thread). */
  pathExpression: string;
}

/**
 * wrk (Debian's `wrk`, C, epoll): the same closed-loop load as autocannon (N keep-alive connections,
 * a new request as soon as the previous answer arrives) at a fraction of its CPU per request, which
 * on a 2-core machine shared with the server is CPU the server gets back. One thread.
 */
export async function runWrk(load: WrkLoad): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'feed-wrk-'));
  const script = join(dir, 'feed.lua');
  writeFileSync(
    script,
    `local n = 0
request = function()
  local path = ${load.pathExpression}
  n = n + 1
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  io.write(string.format("NOWCAST %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout))
end
`,
  );
  try {
    const { stdout } = await promisify(execFile)('wrk', [
      '-t1',
      `-c${load.connections}`,
      `-d${load.durationSec}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      `http://127.0.0.1:${load.port}`,
    ]);
    const line = /NOWCAST (.+)/.exec(stdout)?.[1];
    if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
    const [total, durationUs, p50Us, p99Us, non2xx, ...errors] = line.split(' ').map(Number);
    return {
      requests: { average: Math.round((10 * total) / (durationUs / 1e6)) / 10, total },
      latency: { p50: p50Us / 1000, p99: p99Us / 1000 },
      non2xx,
      errors: errors.reduce((a, b) => a + b, 0),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether Debian's `wrk` is on the PATH (`apt-get install wrk`). */
export function wrkInstalled(): boolean {
  return spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error === undefined;
}
