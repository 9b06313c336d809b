import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mesh, MeshOptions } from './mesh';
import { MeshService } from './service-process';

// A stand-in for a service bundle: serves /health/ready on PORT and behaves as FAKE_MODE says,
// so the process handling is tested without Kafka or Redis.
const FAKE_SERVICE = `
const http = require('node:http');
const mode = process.env.FAKE_MODE || 'ok';
if (mode === 'crash') { console.log('boom: bad config'); process.exit(3); }
const server = http.createServer((req, res) => {
  res.statusCode = req.url === '/health/ready' && mode !== 'never-ready' ? 200 : 503;
  res.end('{}');
});
server.listen(Number(process.env.PORT), '127.0.0.1', () =>
  console.log('listening on ' + process.env.PORT + ' grpc ' + process.env.GRPC_PORT + ' as ' + process.env.WHO + ' pid ' + process.pid));
process.on('SIGTERM', () => {
  if (mode === 'stubborn') return;
  server.close(() => process.exit(0));
});
`;

describe('Mesh (service processes)', () => {
  let root: string;
  const started: Mesh[] = [];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mesh-spec-'));
    for (const service of ['event-enricher', 'recommender-api']) {
      mkdirSync(join(root, 'dist/apps', service), { recursive: true });
      writeFileSync(join(root, 'dist/apps', service, 'main.js'), FAKE_SERVICE);
    }
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((mesh) => mesh.stop(1_000)));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const start = async (options: Partial<MeshOptions> = {}): Promise<Mesh> => {
    const mesh = await Mesh.start({
      root,
      kafkaBrokers: ['127.0.0.1:1'],
      redisUrl: 'redis://127.0.0.1:1',
      ports: 'free',
      bootstrapTopics: false,
      services: ['event-enricher', 'recommender-api'] satisfies MeshService[],
      readyTimeoutMs: 10_000,
      ...options,
    });
    started.push(mesh);
    return mesh;
  };

  it('starts each service on its own ports with the environment, waits until ready, stops with exit 0', async () => {
    const mesh = await start({ env: { WHO: 'everyone' }, serviceEnv: { 'recommender-api': { WHO: 'api' } } });
    expect(mesh.all().map((p) => p.name)).toEqual(['event-enricher', 'recommender-api']);
    expect((await fetch(`${mesh.recommenderUrl}/health/ready`)).status).toBe(200);
    expect(mesh.ingressUrl).not.toBe(mesh.recommenderUrl);
    expect(mesh.process('recommender-api').output()).toMatch(
      /\[recommender-api\] listening on \d+ grpc \d+ as api/,
    );
    expect(mesh.process('event-enricher').output()).toContain('as everyone');
    expect(mesh.baseEnv('event-enricher')).toMatchObject({
      NODE_ENV: 'development',
      KAFKA_BROKERS: '127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    const statuses = await mesh.stop();
    expect([...statuses.values()].map((s) => s.code)).toEqual([0, 0]);
  });

  it('fails the start with the output of a service that exits during boot, stopping the others', async () => {
    const lines: string[] = [];
    const failing = Mesh.start({
      root,
      kafkaBrokers: ['127.0.0.1:1'],
      redisUrl: 'redis://127.0.0.1:1',
      ports: 'free',
      bootstrapTopics: false,
      services: ['event-enricher', 'recommender-api'],
      serviceEnv: { 'event-enricher': { FAKE_MODE: 'crash' } },
      onLine: (line) => lines.push(line),
    });
    await expect(failing).rejects.toThrow(/event-enricher exited before it was ready[\s\S]*boom: bad config/);
    expect(lines).toContain('[event-enricher] boom: bad config');
  });

  it('stops waiting when the signal aborts, and stops what it started', async () => {
    const abort = new AbortController();
    const lines: string[] = [];
    const starting = Mesh.start({
      root,
      kafkaBrokers: ['127.0.0.1:1'],
      redisUrl: 'redis://127.0.0.1:1',
      ports: 'free',
      bootstrapTopics: false,
      services: ['recommender-api'],
      env: { FAKE_MODE: 'never-ready' },
      signal: abort.signal,
      onLine: (line) => lines.push(line),
    });
    const deadline = Date.now() + 10_000;
    while (!lines.some((line) => line.includes('listening')) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    abort.abort(new Error('user pressed Ctrl-C'));
    await expect(starting).rejects.toThrow('user pressed Ctrl-C');
    const pid = Number(/pid (\d+)/.exec(lines.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    // gone by the time the start rejected (signal 0 only probes that the pid exists)
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('adds and removes replicas; stop escalates to SIGKILL after the grace period; waitExit sees a kill', async () => {
    const mesh = await start({ services: ['event-enricher'] });
    const replica = await mesh.addReplica('event-enricher');
    expect(replica.name).toBe('event-enricher#1');
    expect(mesh.process('event-enricher', 1)).toBe(replica);
    // static group members: one id per replica, kept when the replica is restarted
    const instanceIds = [0, 1].map(
      (i) => mesh.process('event-enricher', i).options.env.KAFKA_GROUP_INSTANCE_ID,
    );
    expect(instanceIds[0]).toMatch(/^event-enricher-0-[0-9a-f]{8}$/);
    expect(instanceIds[1]).toBe(instanceIds[0]?.replace('-0-', '-1-'));
    expect((await mesh.removeReplica('event-enricher')).code).toBe(0);
    expect(() => mesh.process('event-enricher', 1)).toThrow(/not part of this mesh/);

    const first = mesh.process('event-enricher');
    const exit = first.waitExit();
    expect((await first.kill()).signal).toBe('SIGKILL');
    expect((await exit).signal).toBe('SIGKILL');
    expect(first.running).toBe(false);

    // restart the same replica, stubborn this time: SIGTERM is ignored, SIGKILL follows
    first.options.env.FAKE_MODE = 'stubborn';
    first.start();
    await first.waitReady(10_000);
    const stopped = await first.stop(300);
    expect(stopped.signal).toBe('SIGKILL');
    expect(stopped.elapsedMs).toBeGreaterThanOrEqual(250);
  });
});
