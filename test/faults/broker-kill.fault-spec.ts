import { saveFigures } from './support/fault-run';
import {
  expectExactAgainstGroundTruth,
  sleep,
  startScenario,
  stopScenario,
} from './support/scenario.fixture';

describe('fault 1: the Kafka broker SIGKILLed and restarted mid-stream', () => {
  const holder = {};

  afterAll(() => stopScenario(holder), 180_000);

  it('no event lost, none counted twice, every lifetime total exact', async () => {
    const { infra, run } = await startScenario({ scenario: 'broker-kill' }, holder);
    await sleep(10_000);
    run.note('SIGKILL to the broker');
    await infra.killKafka();
    const downAt = Date.now();
    await sleep(5_000);
    await infra.startKafka();
    const brokerBackMs = Date.now() - downAt;
    run.note(`broker back after ${brokerBackMs} ms`);
    const readyMs = await run.allReady();
    run.note(`every service ready ${readyMs} ms after the broker restart`);
    const crashed = run.mesh
      .all()
      .filter((p) => !p.running)
      .map((p) => p.name);
    await sleep(10_000);
    const result = await run.verify();
    saveFigures({ ...result.figures, brokerDownMs: brokerBackMs, recoveryMs: readyMs, crashed });

    expect(crashed).toEqual([]);
    expect(result.figures.failedSends).toBeGreaterThan(0); // the fault did hit the producers
    expectExactAgainstGroundTruth(result);
  }, 900_000);
});
