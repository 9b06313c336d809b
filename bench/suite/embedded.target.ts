import { NowcastEvent } from '@app/contracts';
import { freePort } from '@app/mesh';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { LagReading, ROOT, SuiteTarget, pickRuntime } from './suite-target';

export interface EmbeddedTargetOptions {
  runtime: 'auto' | 'dist' | 'source';
}

/**
 * apps/nowcast (`npm start`): the four services on the in-process bus, state in memory, its own
 * simulator slowed to 1 event/s and its feed client off, so the suite's events are the load.
 * Events go in through its `POST /v1/events`; lag is read from the feed's `asOf` (the watermark
 * up to which every event is reflected), as no broker is there to ask.
 */
export async function startEmbeddedTarget(o: EmbeddedTargetOptions): Promise<SuiteTarget> {
  const runtime = pickRuntime(['nowcast'], o.runtime);
  const port = await freePort();
  const entry =
    runtime === 'dist'
      ? [join(ROOT, 'dist/apps/nowcast/main.js')]
      : ['-r', '@swc-node/register', join(ROOT, 'apps/nowcast/src/main.ts')];
  const child: ChildProcess = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NOWCAST_EVENTS_PER_SEC: '1',
      NOWCAST_FEED_REQUESTS_PER_SEC: '0',
      RATE_LIMIT_MAX: '0',
      INGRESS_RATE_LIMIT_MAX: '1000000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n'));
    lines.splice(0, Math.max(0, lines.length - 50));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nowcast exited during start:\n${lines.join('\n')}`);
    const ok = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) })
      .then(async (r) => (await r.arrayBuffer(), r.ok))
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nowcast not ready after 120 s:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    mode: 'embedded',
    recommenderUrl: url,
    loadSink: { kind: 'http', url },
    produce: async (event: NowcastEvent) => {
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      const body = await response.text();
      if (response.status !== 202) throw new Error(`ingress answered ${response.status}: ${body}`);
    },
    lag: async (): Promise<LagReading> => {
      const response = await fetch(`${url}/v1/users/bench-lag-probe/feed?limit=1`);
      const { asOf } = (await response.json()) as { asOf: number | null };
      if (typeof asOf !== 'number') return { maxLagSec: null, byConsumer: {} };
      const lagSec = Math.max(0, (Date.now() - asOf) / 1000);
      return { maxLagSec: lagSec, byConsumer: { asOf: Math.round(lagSec * 1000) / 1000 } };
    },
    describe: () => ({ runtime, url, pid: child.pid, state: 'in memory (no REDIS_URL)' }),
    processes: () => [{ name: 'nowcast', pid: child.pid }],
    stop,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
