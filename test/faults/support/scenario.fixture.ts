import { FaultRun, FaultRunOptions } from './fault-run';
import { PrivateInfra } from './private-infra.fixture';

/** Events per second of the full suite; FAULTS_RATE_PER_SEC overrides it (e.g. a slower machine). */
export const FULL_RATE_PER_SEC = Number(process.env.FAULTS_RATE_PER_SEC ?? 5_000);

export interface Scenario {
  infra: PrivateInfra;
  run: FaultRun;
}

type ScenarioOptions = Omit<FaultRunOptions, 'kafkaBrokers' | 'redisUrl' | 'ratePerSec' | 'seed'> &
  Partial<Pick<FaultRunOptions, 'ratePerSec' | 'seed'>>;

/**
 * A scenario of the full suite: its own broker and Redis (it may kill them), the mesh on them and
 * the traffic already flowing. Whatever was started is stopped by `stopScenario`, even on failure.
 */
export async function startScenario(
  options: ScenarioOptions,
  holder: { scenario?: Scenario; infra?: PrivateInfra },
): Promise<Scenario> {
  const infra = await PrivateInfra.start();
  holder.infra = infra;
  const run = await FaultRun.start({
    ratePerSec: FULL_RATE_PER_SEC,
    seed: 7,
    ...options,
    kafkaBrokers: infra.kafkaBrokers,
    redisUrl: infra.redisUrl,
  });
  const scenario = { infra, run };
  holder.scenario = scenario;
  run.driver.start();
  run.note(`traffic at ${run.options.ratePerSec} events/s`);
  return scenario;
}

export async function stopScenario(holder: { scenario?: Scenario; infra?: PrivateInfra }): Promise<void> {
  try {
    await holder.scenario?.run.stop();
  } finally {
    await holder.infra?.stop();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The checks every scenario ends with: nothing lost, nothing twice, no dead letter, every stream exact. */
export function expectExactAgainstGroundTruth(result: Awaited<ReturnType<FaultRun['verify']>>): void {
  expect(result.figures.produced).toBeGreaterThan(0);
  expect(result.figures).toMatchObject({
    lost: 0,
    countedTwice: 0,
    deadLetteredAndCounted: 0,
    // an outage must never turn good events into dead letters
    deadLettered: result.figures.poisonSent,
  });
  // the first few differing streams, with expected and actual, if any
  expect(result.settle.mismatches.slice(0, 3)).toEqual([]);
}
