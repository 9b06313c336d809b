import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { GrpcHealthClient, HealthStatus, LIVENESS_SERVICE } from '@app/health';
import { freshPipelineTopics, testInfra, uniqueName } from '@app/testing';

const ROOT = join(__dirname, '..');
const APPS = ['event-enricher', 'metrics-aggregator', 'embedding-writer', 'recommender-api'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

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
}

async function start(app: string, topics: Record<string, string>): Promise<Running> {
  const infra = testInfra();
  const grpcPort = await freePort();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, `apps/${app}/src/main.ts`)], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(await freePort()),
      GRPC_PORT: String(grpcPort),
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      REDIS_URL: infra.redisUrl,
      REDIS_KEY_PREFIX: `${uniqueName(app)}:`,
      ...topics,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, health: new GrpcHealthClient(`127.0.0.1:${grpcPort}`), output: () => output };
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
          await until(async () => (await health.check(app, 500)) === 'SERVING', `${app} SERVING`, 40_000);
        } catch (error) {
          throw new Error(`${String(error)}\n--- ${app} output ---\n${output()}`);
        }
      }),
    );
  });

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
      await until(() => readiness.length > 0 && liveness.length > 0, 'the current status on Watch', 5_000);

      child.kill('SIGTERM');
      await until(() => readiness.includes('NOT_SERVING'), 'NOT_SERVING on Watch', 5_000);
      const [code, signal] = await exited;
      expect(readiness).toEqual(['SERVING', 'NOT_SERVING']);
      // liveness never flipped: the kubelet must not restart a pod that is draining
      expect(liveness).toEqual(['SERVING']);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    },
  );
});
