import { NowcastEvent } from '@app/contracts';
import { testInfra } from '@app/testing';
import { API_KEYS, FaultRun, KEY_POOL, saveFigures } from './support/fault-run';
import { abuse } from './support/http-abuse';
import { sampleMemory } from './support/memory.probe';
import { POISON_KINDS } from './support/poison.factory';

/**
 * The fast subset of the fault suite (runs in `npm test`): one mesh of four service processes on
 * the shared test broker and Redis, one paced simulated marketplace, and at each checkpoint the
 * whole state read from outside against the ground truth of everything produced so far.
 */
describe('fault injection, fast subset (mesh of separate processes, real Kafka and Redis)', () => {
  const RATE_PER_SEC = 1_000;
  /** Per-key limits of both services during this file (a 10-minute window: no refill to speak of). */
  const RATE_LIMIT = 500;
  let run: FaultRun;

  beforeAll(async () => {
    const infra = testInfra();
    run = await FaultRun.start({
      scenario: 'fast',
      kafkaBrokers: infra.kafkaBrokers,
      redisUrl: infra.redisUrl,
      ratePerSec: RATE_PER_SEC,
      seed: 12,
      // one poison message and one client duplicate per 100 valid events
      poisonEvery: 100,
      env: {
        RATE_LIMIT_MAX: String(RATE_LIMIT),
        RATE_LIMIT_WINDOW_MS: '600000',
        INGRESS_RATE_LIMIT_MAX: String(RATE_LIMIT),
        INGRESS_RATE_LIMIT_WINDOW_MS: '600000',
      },
    });
    run.driver.start();
  }, 300_000);

  afterAll(async () => {
    await run?.stop();
  }, 60_000);

  it('poison interleaved with valid traffic is dead-lettered with its reason; duplicates are dropped, never dead-lettered or counted twice', async () => {
    await sleep(6_000);
    const { figures, settle, deadLetters } = await run.verify('pause', 120_000);
    saveFigures({ ...figures, scenario: 'poison' });

    const sent = run.driver.poisonSent;
    expect(sent.length).toBeGreaterThanOrEqual(Object.keys(POISON_KINDS).length);
    const reasonOf = new Map(deadLetters.map((d) => [d.value, d.reason]));
    const wrong = sent.filter((p) => reasonOf.get(p.value) !== POISON_KINDS[p.kind]);
    expect(wrong.map((p) => `${p.kind}: ${reasonOf.get(p.value) ?? 'not dead-lettered'}`)).toEqual([]);
    expect(deadLetters).toHaveLength(sent.length); // nothing else: no duplicate, no valid event
    expect(figures.duplicatesSent).toBeGreaterThan(0);
    expect(figures).toMatchObject({ lost: 0, countedTwice: 0, deadLetteredAndCounted: 0 });
    expect(settle.mismatches.slice(0, 3)).toEqual([]);
  }, 300_000);

  it('a consumer SIGKILLed mid-batch and restarted loses and double-counts nothing', async () => {
    run.driver.resume(); // the checkpoint before paused the traffic
    await sleep(3_000);
    const aggregator = run.mesh.process('metrics-aggregator');
    const killed = await aggregator.kill();
    await sleep(2_000);
    const restartedAt = Date.now();
    aggregator.start();
    await run.ready(aggregator);
    const readyMs = Date.now() - restartedAt;
    await sleep(3_000);
    const { figures, settle, deadLetters } = await run.verify('pause', 120_000);
    saveFigures({ ...figures, scenario: 'consumer-kill-fast', killedSignal: killed.signal, readyMs });

    expect(killed.signal).toBe('SIGKILL');
    expect(deadLetters).toHaveLength(run.driver.poisonSent.length);
    expect(figures).toMatchObject({ lost: 0, countedTwice: 0, deadLetteredAndCounted: 0 });
    expect(settle.mismatches.slice(0, 3)).toEqual([]);
  }, 300_000);

  it('thousands of malformed, oversized, unauthenticated and over-rate requests: no 5xx, legitimate requests answered, memory stable', async () => {
    run.driver.resume();
    const recommender = run.mesh.process('recommender-api');
    const enricher = run.mesh.process('event-enricher');
    const before = {
      recommender: await sampleMemory(recommender.pid, recommender.httpUrl),
      ingress: await sampleMemory(enricher.pid, enricher.httpUrl),
    };
    const legitFailures: string[] = [];
    const legitEvents: NowcastEvent[] = [];
    const streams = run.truth.started;
    const report = await abuse(
      {
        recommenderUrl: run.mesh.recommenderUrl,
        ingressUrl: run.mesh.ingressUrl,
        keys: KEY_POOL,
        readOnlyKey: API_KEYS.read,
        abuserKey: API_KEYS.abuser,
        overRate: RATE_LIMIT + 150,
      },
      50,
      16,
      async (round) => {
        const streamId = streams[round % streams.length];
        const event: NowcastEvent = {
          eventId: `legit-${streamId}-${round}-${Date.now()}`,
          type: 'chat.message',
          schemaVersion: 1,
          occurredAt: Date.now(),
          data: { userId: `legit-user-${round}`, streamId },
        };
        const posted = await fetch(`${run.mesh.ingressUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': API_KEYS.ingest },
          body: JSON.stringify(event),
        });
        await posted.arrayBuffer();
        if (posted.status === 202) legitEvents.push(event);
        else legitFailures.push(`POST /v1/events ${posted.status}`);
        const read = await fetch(`${run.mesh.recommenderUrl}/v1/streams/${streamId}`, {
          headers: { 'x-api-key': API_KEYS.read },
        });
        await read.arrayBuffer();
        if (read.status !== 200) legitFailures.push(`GET /v1/streams/${streamId} ${read.status}`);
      },
    );
    run.truth.add(legitEvents);
    await sleep(2_000);
    const after = {
      recommender: await sampleMemory(recommender.pid, recommender.httpUrl),
      ingress: await sampleMemory(enricher.pid, enricher.httpUrl),
    };
    const { figures, settle } = await run.verify('pause', 120_000);
    saveFigures({
      ...figures,
      scenario: 'http-abuse',
      requests: report.requests,
      garbageConnections: report.garbageConnections,
      retriedOnClosedConnection: report.retriedOnClosedConnection,
      statuses: report.statuses,
      legitAnswered: legitEvents.length,
      legitFailures: legitFailures.slice(0, 10),
      memoryBefore: before,
      memoryAfter: after,
    });

    expect(report.requests).toBeGreaterThan(2_000);
    expect(report.serverErrors).toEqual([]);
    expect(report.garbage5xx).toBe(0);
    expect(report.unanswered).toEqual([]);
    expect(legitFailures).toEqual([]);
    expect(legitEvents.length).toBeGreaterThan(0);
    expect(report.statuses['recommender over-rate']?.['429']).toBeGreaterThan(0);
    expect(report.statuses['ingress over-rate']?.['429']).toBeGreaterThan(0);
    // stable: a few thousand bad requests leave no more than transient garbage behind
    for (const service of ['recommender', 'ingress'] as const)
      expect(after[service].rssMb).toBeLessThan(before[service].rssMb + 150);
    expect(figures).toMatchObject({ lost: 0, countedTwice: 0, deadLetteredAndCounted: 0 });
    expect(settle.mismatches.slice(0, 3)).toEqual([]);
  }, 600_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
