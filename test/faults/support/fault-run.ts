import { Mesh, MeshService, ServiceProcess } from '@app/mesh';
import { copyFileSync, createWriteStream, mkdirSync, WriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { GroundTruth } from './ground-truth';
import { SettleResult, waitUntilSettled } from './pipeline.check';
import { REPO_ROOT } from './private-infra.fixture';
import { DeadLetter, enrichedEventIds, readDeadLetters, waitUntilConsumed } from './topic.reader';
import { TrafficDriver } from './traffic.driver';

export const API_KEYS = {
  ingest: 'faults-ingest',
  read: 'faults-read',
  admin: 'faults-admin',
  /** Goes over the rate limits on purpose (ingest + read scopes). */
  abuser: 'faults-abuser',
} as const;
/**
 * Keys with the ingest and read scopes that the checker and the malformed requests rotate over:
 * rate limits are per key, so the limits stay low enough for the abuser to exceed them.
 */
export const KEY_POOL = Array.from({ length: 20 }, (_, i) => `faults-k${i}`);

export interface FaultRunOptions {
  scenario: string;
  kafkaBrokers: string[];
  redisUrl: string;
  ratePerSec: number;
  seed: number;
  poisonEvery?: number;
  /** Raw/enriched partitions (a rebalance needs more than one to move). Default 3. */
  partitions?: number;
  env?: Record<string, string>;
  serviceEnv?: Partial<Record<MeshService, Record<string, string>>>;
}

/** What a scenario reports (docs/reliability.md quotes these). */
export interface FaultFigures {
  scenario: string;
  /** Target rate of the paced simulator, and what the machine actually produced, events/s. */
  ratePerSec: number;
  achievedRatePerSec: number;
  /** Valid events produced and acknowledged (unique eventIds). */
  produced: number;
  /** Of them, in the enriched topic exactly once (read_committed). */
  counted: number;
  /** Client duplicates sent (same eventId again): must be dropped. */
  duplicatesSent: number;
  poisonSent: number;
  deadLettered: number;
  /** Produced valid events missing from the enriched topic. */
  lost: number;
  /** eventIds in the enriched topic more than once. */
  countedTwice: number;
  /** Poison or dead-lettered eventIds found in the enriched topic. */
  deadLetteredAndCounted: number;
  /** Produce attempts the broker did not acknowledge (resent). */
  failedSends: number;
  streamsChecked: number;
  endedStreamsChecked: number;
  streamMismatches: number;
  /** From the end of production until every stream matched the ground truth, ms. */
  settleMs: number;
  [extra: string]: unknown;
}

/**
 * One scenario's pipeline: unique topics / groups / key prefix on the given broker and Redis, the
 * four services as separate processes (dist bundles), and the paced traffic driver with its
 * ground truth. `verify` stops the traffic, waits until the mesh has settled and compares.
 */
export class FaultRun {
  private readonly startedAt = Date.now();
  /** A check found something lost, counted twice or differing: the log is kept (see stop). */
  private wrong = false;
  readonly env: Record<string, string>;
  readonly driver: TrafficDriver;
  private constructor(
    readonly options: FaultRunOptions,
    readonly mesh: Mesh,
    env: Record<string, string>,
    driver: TrafficDriver,
    private readonly log: WriteStream,
  ) {
    this.env = env;
    this.driver = driver;
  }

  static async start(options: FaultRunOptions): Promise<FaultRun> {
    const id = randomUUID().slice(0, 8);
    const env = pipelineEnv(`faults-${options.scenario}-${id}`, options.partitions ?? 3, options.env);
    const log = serviceLog(options.scenario);
    const mesh = await Mesh.start({
      root: REPO_ROOT,
      kafkaBrokers: options.kafkaBrokers,
      redisUrl: options.redisUrl,
      runtime: 'dist',
      ports: 'free',
      parentEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      env,
      serviceEnv: options.serviceEnv,
      // generous: on a starved CPU the readiness probes (800 ms budget per dependency) fail for a while
      readyTimeoutMs: 240_000,
      onLine: (line) => log.write(`${new Date().toISOString()} ${line}\n`),
    });
    const run = new FaultRun(
      options,
      mesh,
      env,
      new TrafficDriver({
        brokers: options.kafkaBrokers,
        rawTopic: env.TOPIC_RAW,
        truth: new GroundTruth(),
        ratePerSec: options.ratePerSec,
        seed: options.seed,
        poisonEvery: options.poisonEvery,
        runId: id,
      }),
      log,
    );
    run.note(`mesh of ${mesh.all().length} processes ready`);
    return run;
  }

  /**
   * Waits until every service process answers ready again; resolves with the wait, ms. A process
   * that exited fails the scenario; one that is merely slow to report ready (readiness probes
   * time out on a starved CPU) is noted and the scenario goes on: the ground truth decides.
   */
  async allReady(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    await Promise.all(this.mesh.all().map((p) => this.ready(p, timeoutMs)));
    return Date.now() - started;
  }

  /** One process: ready, or still running after `timeoutMs` (noted), else throws. */
  async ready(process: ServiceProcess, timeoutMs = 120_000): Promise<void> {
    try {
      await process.waitReady(timeoutMs);
    } catch (error) {
      if (!process.running) throw error;
      this.note(`${process.name} still not ready after ${timeoutMs} ms (running; going on)`);
    }
  }

  /** A progress line on stderr (the suite runs for minutes; CI logs show where it is). */
  note(message: string): void {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    process.stderr.write(`[faults ${this.options.scenario} +${seconds}s] ${message}\n`);
    this.log.write(`${new Date().toISOString()} [faults] ${message}\n`);
  }

  get truth(): GroundTruth {
    return this.driver.truth;
  }

  /**
   * Stops the traffic (or only pauses it: the driver's `resume` goes on with the same simulated
   * world), waits until the mesh settled and checks everything against the ground truth.
   */
  async verify(
    how: 'stop' | 'pause' = 'stop',
    settleTimeoutMs = 180_000,
  ): Promise<{ figures: FaultFigures; settle: SettleResult; deadLetters: DeadLetter[] }> {
    if (how === 'stop') await this.driver.stop();
    else await this.driver.pause();
    this.note(`traffic ${how === 'stop' ? 'stopped' : 'paused'} after ${this.truth.events} events; settling`);
    const truth = this.truth;
    const settle = await waitUntilSettled(this.mesh.recommenderUrl, KEY_POOL, truth, settleTimeoutMs);
    this.note(
      `settled in ${settle.settleMs} ms (${settle.mismatches.length} streams differ); reading topics`,
    );
    const brokers = this.options.kafkaBrokers;
    // the topics are read up to their ends as of now: first every produced event must have been
    // handled (settled totals say nothing of a poison message after a partition's last valid event)
    const enricherGroup = this.env.ENRICHER_GROUP_ID;
    if (!(await waitUntilConsumed(brokers, enricherGroup, this.env.TOPIC_RAW, 60_000)))
      this.note('the enricher had not committed to the end of the raw topic after 60 s; reading anyway');
    const deadLetters = await readDeadLetters(brokers, this.env.TOPIC_DEAD_LETTER);
    const { counts: enriched, duplicates } = await enrichedEventIds(brokers, this.env.TOPIC_ENRICHED);
    if (duplicates.size > 0) {
      const shown = [...duplicates].slice(0, 20).map(([id, copies]) => `${id}: ${copies.join(' | ')}`);
      this.note(
        `${duplicates.size} eventIds more than once in the enriched topic, e.g.\n  ${shown.join('\n  ')}`,
      );
    }
    const poisonIds = new Set(this.driver.poisonSent.map((p) => p.eventId));
    let counted = 0;
    let countedTwice = 0;
    let poisonCounted = 0;
    for (const [eventId, n] of enriched) {
      if (truth.has(eventId)) counted++;
      if (n > 1) countedTwice++;
      if (poisonIds.has(eventId)) poisonCounted++;
    }
    const figures: FaultFigures = {
      scenario: this.options.scenario,
      ratePerSec: this.options.ratePerSec,
      achievedRatePerSec: this.driver.achievedRatePerSec,
      produced: truth.events,
      counted,
      duplicatesSent: truth.duplicatesSent,
      poisonSent: this.driver.poisonSent.length,
      deadLettered: deadLetters.length,
      lost: truth.events - counted,
      countedTwice,
      deadLetteredAndCounted: poisonCounted,
      failedSends: this.driver.failedSends,
      streamsChecked: settle.streams,
      endedStreamsChecked: settle.ended,
      streamMismatches: settle.mismatches.length,
      settleMs: settle.settleMs,
    };
    this.note(`checked: ${JSON.stringify(figures)}`);
    this.wrong ||= figures.lost + figures.countedTwice + figures.streamMismatches + poisonCounted > 0;
    return { figures, settle, deadLetters };
  }

  /** Stops every service (SIGTERM, then SIGKILL) and the traffic; safe to call twice. */
  async stop(): Promise<void> {
    await this.driver.stop().catch(() => undefined);
    await this.driver.close();
    await this.mesh.stop(10_000);
    await new Promise((resolve) => this.log.end(resolve));
    // the next run of the scenario overwrites its log: a wrong result's log is kept beside it
    if (this.wrong) {
      const path = String(this.log.path);
      copyFileSync(path, path.replace(/\.log$/, `-wrong-${new Date().toISOString()}.log`));
    }
  }
}

/**
 * Every line the services print, with the scenario's notes between them, in
 * .cache/faults/<scenario>.log: a failed scenario is diagnosed from it after the mesh is gone.
 */
function serviceLog(scenario: string): WriteStream {
  const dir = join(REPO_ROOT, '.cache/faults');
  mkdirSync(dir, { recursive: true });
  return createWriteStream(join(dir, `${scenario}.log`));
}

/** Unique topics, groups and Redis key prefix: scenarios never see each other's data. */
function pipelineEnv(
  unique: string,
  partitions: number,
  extra?: Record<string, string>,
): Record<string, string> {
  const topic = (role: string): string => `${unique}.${role}`;
  return {
    // FAULTS_LOG_LEVEL=info keeps kafkajs' group joins and assignments in the scenario's log
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'warn',
    API_KEYS: [
      `ingest:${[API_KEYS.ingest, API_KEYS.abuser, ...KEY_POOL].join(',')}`,
      `read:${[API_KEYS.read, API_KEYS.abuser, ...KEY_POOL].join(',')}`,
      `admin:${API_KEYS.admin}`,
    ].join(';'),
    REDIS_KEY_PREFIX: `${unique}:`,
    TOPIC_PARTITIONS: String(partitions),
    TOPIC_RAW: topic('raw'),
    TOPIC_ENRICHED: topic('enriched'),
    TOPIC_DEAD_LETTER: topic('dlq'),
    TOPIC_METRICS_STREAMS: topic('metrics'),
    TOPIC_STREAM_LIFECYCLE: topic('lifecycle'),
    TOPIC_STREAM_LIFECYCLE_FAST: topic('lifecycle-fast'),
    TOPIC_EMBEDDINGS_STREAMS: topic('emb-streams'),
    TOPIC_EMBEDDINGS_USERS: topic('emb-users'),
    TOPIC_STATE_FOLLOWS: topic('follows'),
    TOPIC_WATERMARKS: topic('watermarks'),
    ENRICHER_GROUP_ID: `${unique}-enricher`,
    ENRICHER_TRANSACTIONAL_ID_PREFIX: `${unique}-enricher`,
    AGGREGATOR_GROUP_ID: `${unique}-aggregator`,
    EMBEDDING_GROUP_ID: `${unique}-writer`,
    // the checker reads thousands of streams per second; the abuse scenario sets its own limit
    RATE_LIMIT_MAX: '0',
    ...extra,
  };
}

/** Keeps the scenario's figures in .cache/faults/<scenario>.json (docs/reliability.md quotes them). */
export function saveFigures(figures: FaultFigures): void {
  const dir = join(REPO_ROOT, '.cache/faults');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${figures.scenario}.json`),
    JSON.stringify({ ...figures, at: new Date().toISOString() }, null, 2),
  );
}
