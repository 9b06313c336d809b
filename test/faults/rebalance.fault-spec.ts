import { MeshService } from '@app/mesh';
import { saveFigures } from './support/fault-run';
import {
  expectExactAgainstGroundTruth,
  sleep,
  startScenario,
  stopScenario,
} from './support/scenario.fixture';

describe('fault 3: consumer groups scaled 1 -> 2 -> 1 instances under load', () => {
  const holder = {};
  const scaled: MeshService[] = ['event-enricher', 'metrics-aggregator'];

  afterAll(() => stopScenario(holder), 180_000);

  it('both rebalances lose nothing and count nothing twice', async () => {
    const { run } = await startScenario({ scenario: 'rebalance', partitions: 6 }, holder);
    await sleep(8_000);
    const upAt = Date.now();
    await Promise.all(scaled.map((service) => run.mesh.addReplica(service)));
    const scaleUpMs = Date.now() - upAt;
    run.note(`scaled to 2 instances each (${scaleUpMs} ms)`);
    await sleep(12_000);
    const removed = await Promise.all(scaled.map((service) => run.mesh.removeReplica(service)));
    run.note(`scaled back to 1: ${JSON.stringify(removed)}`);
    await sleep(8_000);
    const result = await run.verify();
    saveFigures({ ...result.figures, scaleUpMs, removedExit: removed });

    // the second instances left cleanly (SIGTERM path, not the SIGKILL after the grace period)
    for (const status of removed) expect(status.signal).not.toBe('SIGKILL');
    expectExactAgainstGroundTruth(result);
  }, 900_000);
});
