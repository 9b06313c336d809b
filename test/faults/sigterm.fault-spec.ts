import { saveFigures } from './support/fault-run';
import {
  expectExactAgainstGroundTruth,
  sleep,
  startScenario,
  stopScenario,
} from './support/scenario.fixture';

/** The shutdown budget of the targets: SIGTERM to exit, ms. */
const CLEAN_EXIT_MS = 10_000;

describe('fault 7: SIGTERM to every service under load', () => {
  const holder = {};

  afterAll(() => stopScenario(holder), 180_000);

  it('each exits cleanly within 10 s; after the restart nothing is lost or counted twice', async () => {
    const { run } = await startScenario({ scenario: 'sigterm' }, holder);
    await sleep(10_000);
    run.note('SIGTERM to every service');
    // a grace period past the budget: an overrun shows as elapsedMs, not as a SIGKILL
    const statuses = await run.mesh.stop(CLEAN_EXIT_MS + 20_000);
    const exits = Object.fromEntries(statuses);
    run.note(`exits: ${JSON.stringify(exits)}`);
    await sleep(3_000);
    const restartedAt = Date.now();
    for (const instance of run.mesh.all()) instance.start();
    await run.allReady();
    const recoveryMs = Date.now() - restartedAt;
    run.note(`all restarted and ready in ${recoveryMs} ms`);
    await sleep(8_000);
    const result = await run.verify();
    saveFigures({ ...result.figures, exits, recoveryMs });

    expect(statuses.size).toBe(4);
    for (const [name, status] of statuses) {
      // Nest's shutdown hooks close the app, then re-raise the signal (or exit 0)
      expect({ name, clean: status.code === 0 || status.signal === 'SIGTERM' }).toEqual({
        name,
        clean: true,
      });
      expect({ name, withinBudget: status.elapsedMs <= CLEAN_EXIT_MS }).toEqual({ name, withinBudget: true });
    }
    expectExactAgainstGroundTruth(result);
  }, 900_000);
});
