import { MeshService } from '@app/mesh';
import { saveFigures } from './support/fault-run';
import {
  expectExactAgainstGroundTruth,
  sleep,
  startScenario,
  stopScenario,
} from './support/scenario.fixture';

describe('fault 2: a consumer service SIGKILLed mid-batch and restarted', () => {
  const holder = {};

  afterAll(() => stopScenario(holder), 180_000);

  it('the enricher, then the aggregator: nothing lost or counted twice, every total exact', async () => {
    const { run } = await startScenario({ scenario: 'consumer-kill' }, holder);
    const recovery: Record<string, number> = {};
    for (const service of ['event-enricher', 'metrics-aggregator'] as MeshService[]) {
      await sleep(8_000);
      const instance = run.mesh.process(service);
      const killed = await instance.kill();
      expect(killed.signal).toBe('SIGKILL');
      run.note(`${service} SIGKILLed`);
      await sleep(2_000);
      const restartedAt = Date.now();
      instance.start();
      await run.ready(instance);
      recovery[service] = Date.now() - restartedAt;
      run.note(`${service} ready ${recovery[service]} ms after its restart`);
    }
    await sleep(8_000);
    const result = await run.verify();
    saveFigures({ ...result.figures, recoveryMs: recovery });

    expectExactAgainstGroundTruth(result);
  }, 900_000);
});
