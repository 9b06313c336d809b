import { MeshService } from '@app/mesh';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { saveFigures } from './support/fault-run';
import { REPO_ROOT } from './support/private-infra.fixture';
import {
  expectExactAgainstGroundTruth,
  sleep,
  startScenario,
  stopScenario,
} from './support/scenario.fixture';

const run$ = promisify(execFile);

describe('fault 4a: Redis stopped for 10 s and restarted', () => {
  const holder = {};

  afterAll(() => stopScenario(holder), 180_000);

  it('backpressure, no loss, no dead letter, full recovery', async () => {
    const { infra, run } = await startScenario({ scenario: 'redis-outage' }, holder);
    await sleep(8_000);
    run.note('stopping Redis for 10 s');
    await infra.stopRedis();
    await sleep(10_000);
    await infra.startRedis();
    const readyMs = await run.allReady();
    run.note(`Redis back; every service ready ${readyMs} ms later`);
    const crashed = run.mesh
      .all()
      .filter((p) => !p.running)
      .map((p) => p.name);
    await sleep(8_000);
    const result = await run.verify();
    saveFigures({ ...result.figures, redisDownMs: 10_000, recoveryMs: readyMs, crashed });

    expect(crashed).toEqual([]);
    expectExactAgainstGroundTruth(result);
  }, 900_000);
});

describe('fault 4b: Redis data lost, state rebuilt from Kafka', () => {
  const holder = {};
  const stateful: MeshService[] = ['event-enricher', 'metrics-aggregator', 'embedding-writer'];

  afterAll(() => stopScenario(holder), 180_000);

  it('npm run rebuild -- enricher / aggregator restore every lifetime total exactly', async () => {
    const { infra, run } = await startScenario({ scenario: 'redis-data-loss' }, holder);
    await sleep(10_000);
    run.note('SIGKILL to Redis and its append-only file deleted');
    await infra.killRedisAndLoseData();
    await infra.startRedis();
    const lostAt = Date.now();
    // the runbook: stop the services that keep state in Redis, rebuild it, start them again
    await Promise.all(stateful.map((service) => run.mesh.process(service).stop()));
    const rebuildMs: Record<string, number> = {};
    for (const target of ['enricher', 'aggregator']) {
      const started = Date.now();
      const service = target === 'enricher' ? 'event-enricher' : 'metrics-aggregator';
      await run$('npm', ['run', '--silent', 'rebuild', '--', target], {
        cwd: REPO_ROOT,
        env: { ...run.mesh.baseEnv(service), PATH: process.env.PATH ?? '' },
        timeout: 600_000,
      });
      rebuildMs[target] = Date.now() - started;
      run.note(`rebuild ${target}: ${rebuildMs[target]} ms`);
    }
    for (const service of stateful) run.mesh.process(service).start();
    await run.allReady();
    const recoveryMs = Date.now() - lostAt;
    run.note(`services back ${recoveryMs} ms after the loss`);
    await sleep(8_000);
    const result = await run.verify();
    saveFigures({ ...result.figures, rebuildMs, recoveryMs });

    expectExactAgainstGroundTruth(result);
  }, 1_200_000);
});
