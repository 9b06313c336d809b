import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { ClientRequest, get } from 'node:http';
import { join } from 'node:path';
import { GrpcHealthClient, HealthStatus, LIVENESS_SERVICE } from '@app/health';
import { freePort } from '@app/mesh';
import { freshPipelineTopics, testInfra, uniqueName } from '@app/testing';

const ROOT = join(__dirname, '..');
/**
 * Boot of an app's main.ts until SERVING, ms: compiled on the fly (@swc-node/register), four at once
 * on two cores: ~12 s at load 5-6, more at the loads of 18-20 earlier sessions ran tests at.
 */
const BOOT_MS = 90_000;
const APPS = ['event-enricher', 'metrics-aggregator', 'embedding-writer', 'recommender-api'];

/** Resolves once `probe` resolves truthy, retrying every 100 ms; rejects after `timeoutMs`. */
async function until(
  probe: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(probe)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  health: GrpcHealthClient;
  output: () => string;
  httpPort: number;
}

async function start(
  app: string,
  topics: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<Running> {
  const infra = testInfra();
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, `apps/${app}/src/main.ts`)], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      REDIS_URL: infra.redisUrl,
      REDIS_KEY_PREFIX: `${uniqueName(app)}:`,
      // not the default group and transactional ids, which every run on the same broker would share
      ENRICHER_GROUP_ID: uniqueName('grpc-enricher'),
      ENRICHER_TRANSACTIONAL_ID_PREFIX: uniqueName('grpc-enricher'),
      AGGREGATOR_GROUP_ID: uniqueName('grpc-aggregator'),
      EMBEDDING_GROUP_ID: uniqueName('grpc-writer'),
      ...topics,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    exited,
    health: new GrpcHealthClient(`127.0.0.1:${grpcPort}`),
    output: () => output,
    httpPort,
  };
}

/**
 * Each app's real main.ts in its own process, probed the way the kubelet's gRPC probes do:
 * this checks the wiring (GRPC_PORT from config, the signal flipping readiness before Nest's
 * hooks, the server closing) that a module-level test cannot see. The four boot in parallel.
 */
describe('main.ts of every app serves grpc.health.v1', () => {
  const running = new Map<string, Running>();

  beforeAll(async () => {
    const topics = await freshPipelineTopics('grpc-health');
    for (const app of APPS) running.set(app, await start(app, topics));
    await Promise.all(
      APPS.map(async (app) => {
        const { health, output } = running.get(app) as Running;
        try {
          await until(async () => (await health.check(app, 500)) === 'SERVING', `${app} SERVING`, BOOT_MS);
        } catch (error) {
          throw new Error(`${String(error)}\n--- ${app} output ---\n${output()}`);
        }
      }),
    );
  }, BOOT_MS + 30_000);

  afterAll(() => {
    for (const { child, health } of running.values()) {
      health.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it.each(APPS)(
    '%s: SERVING when ready, NOT_SERVING once SIGTERM arrives (on Watch), exit 0',
    async (app) => {
      const { child, exited, health } = running.get(app) as Running;
      expect(await health.check(app)).toBe('SERVING');
      expect(await health.check('')).toBe('SERVING');
      expect(await health.check(LIVENESS_SERVICE)).toBe('SERVING');

      const readiness: HealthStatus[] = [];
      const liveness: HealthStatus[] = [];
      health.watch(app, (s) => readiness.push(s));
      health.watch(LIVENESS_SERVICE, (s) => liveness.push(s));
      // 15 s: another process's event, on a machine the other three apps and the tests share
      await until(() => readiness.length > 0 && liveness.length > 0, 'the current status on Watch', 15_000);

      child.kill('SIGTERM');
      await until(() => readiness.includes('NOT_SERVING'), 'NOT_SERVING on Watch', 15_000);
      const [code, signal] = await exited;
      expect(readiness).toEqual(['SERVING', 'NOT_SERVING']);
      // liveness never flipped: the kubelet must not restart a pod that is draining
      expect(liveness).toEqual(['SERVING']);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    },
  );
});

/**
 * The pid of the worker that answered /health/live, on a new connection each time (the primary
 * deals connections, not requests, to the workers).
 */
let liveCalls = 0;
function livePid(port: number): Promise<number> {
  liveCalls++;
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/health/live', agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        try {
          resolve((JSON.parse(body) as { info: { process: { pid: number } } }).info.process.pid);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    })
      // a connection dealt to a worker just killed may never be answered
      .setTimeout(2_000, function (this: ClientRequest) {
        this.destroy(new Error('no answer in 2 s'));
      })
      .on('error', reject);
  });
}

/**
 * HTTP_WORKERS=2: the primary forks two workers sharing the HTTP and gRPC ports; both answer, /metrics
 * counts both, a worker that dies is replaced, and SIGTERM to the primary drains every worker and exits 0.
 */
describe('recommender-api with HTTP_WORKERS=2', () => {
  let running: Running;

  beforeAll(async () => {
    const topics = await freshPipelineTopics('http-workers');
    running = await start('recommender-api', topics, { HTTP_WORKERS: '2' });
    await until(
      async () => (await running.health.check('recommender-api', 500)) === 'SERVING',
      'SERVING',
      BOOT_MS,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- output ---\n${running.output()}`);
    });
  }, BOOT_MS + 30_000);

  afterAll(() => {
    running.health.close();
    if (running.child.exitCode === null) running.child.kill('SIGKILL');
  });

  it('serves from two worker processes, replaces one that dies, drains all on SIGTERM', async () => {
    const pids = new Set<number>();
    await until(
      async () => pids.add(await livePid(running.httpPort)).size === 2,
      'two workers answering',
      20_000,
    );
    expect(pids.has(running.child.pid as number)).toBe(false);
    // /metrics on the shared port merges both workers: it counts every probe above, wherever it landed
    const asked = liveCalls;
    const metrics = await (await fetch(`http://127.0.0.1:${running.httpPort}/metrics`)).text();
    const counted = /http_request_duration_seconds_count\{[^}]*route="\/health\/live"[^}]*\} (\d+)/.exec(
      metrics,
    );
    expect(Number(counted?.[1])).toBe(asked);

    const [killed, survivor] = [...pids];
    process.kill(killed, 'SIGKILL');
    // the replacement: a pid not seen before answers (a connection dealt before the kill may not)
    let replacement = 0;
    await until(
      async () => {
        const pid = await livePid(running.httpPort);
        if (!pids.has(pid)) replacement = pid;
        return replacement !== 0;
      },
      'a replacement worker answering',
      40_000,
    );
    const after = [survivor, replacement];

    running.child.kill('SIGTERM');
    const [code, signal] = await running.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    for (const pid of after) expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
