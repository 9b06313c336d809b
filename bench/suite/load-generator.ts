import { NowcastEvent, partitionKeyOf } from '@app/contracts';
import { MarketplaceSimulator } from '@app/simulator';
import { ChildProcess, fork } from 'node:child_process';
import { CompressionTypes, Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { probeEvent } from '../probe-event';

/**
 * The load of the ingest and latency sections: the marketplace simulator paced at `rate` events/s
 * of wall-clock time (occurredAt = now), produced to the raw topic (mesh) or POSTed to the
 * ingress (embedded). It runs in its own process so it does not stall the suite's lag sampling and
 * probes, and it simulates a trial's whole window before the window starts (see `source`), so
 * during the window it only sends; it is still on the same two cores (docs/benchmarks.md).
 * When the window ends (or is stopped) it ends every show it started and did not end: each window
 * is a new world in the same pipeline, and without that its live streams would stay live there
 * into the next window, until the aggregator's lease expired them (see `closingEvents`).
 */
export type LoadSink = { kind: 'kafka'; brokers: string[]; topic: string } | { kind: 'http'; url: string };

export interface LoadSpec {
  sink: LoadSink;
  /** events/s asked of the simulator (the achieved rate differs a little: its audience warms up) */
  rate: number;
  durationSec: number;
  seed: number;
  /**
   * Put before the world's user, seller and stream ids: loads that run one after another in one
   * pipeline (trials, phases) are then separate marketplaces, none starting with another's users'
   * histories (see `closingEvents` for their shows).
   */
  idPrefix?: string;
  /** Simulate as the clock goes instead of pregenerating the window (long background loads). */
  live?: boolean;
}

export interface LoadReport {
  /** events accepted by the broker / the ingress */
  written: number;
  /** events the ingress refused (non-202) or a produce failed for */
  rejected: number;
  wallMs: number;
  /** CPU of the generator process (simulate + serialise + produce), us */
  cpuUs: number;
  /** stream.ended sent after the window for the shows it left live (not in `written`) */
  closedShows: number;
}

/** Events/s the generator achieved over its window (or so far, from `progress()`). */
export const achievedRateOf = (report: Pick<LoadReport, 'written' | 'wallMs'>): number =>
  report.written / Math.max(0.001, report.wallMs / 1000);

/** Wall-clock step of the pacing: every tick sends what became due, ms. */
const TICK_MS = 20;
/** The ingress takes at most 1,000 events per request. */
const HTTP_CHUNK = 1_000;

/** One event as it goes out: the partition key, the JSON envelope and the show it opens or closes. */
interface Encoded {
  key: string;
  value: string;
  show?: ShowChange;
}
export interface ShowChange {
  streamId: string;
  open: boolean;
}

/** The show an event opens (stream.started) or closes (its end, removal or expiry), if any. */
export function showChangeOf(e: NowcastEvent): ShowChange | undefined {
  if (e.type === 'stream.started') return { streamId: e.data.streamId, open: true };
  if (e.type === 'stream.ended' || e.type === 'stream.removed' || e.type === 'stream.expired')
    return { streamId: e.data.streamId, open: false };
  return undefined;
}

/**
 * A stream.ended, at `now`, for every show still open. Without them each window's ~2,000 live
 * streams stayed live in the pipeline until the aggregator's lease expired them (60 s of silence,
 * wall clock): through most of the next window, whose world then had its ~2,000 stream.expired to
 * take while it was measured.
 */
function closingEvents(openShows: ReadonlySet<string>, now: number): Encoded[] {
  return [...openShows].map((streamId) => {
    const event = endOfShow(streamId, now);
    return { key: partitionKeyOf(event), value: JSON.stringify(event) };
  });
}

/** The stream.ended that closes a show the load leaves open. */
export const endOfShow = (streamId: string, at: number): NowcastEvent =>
  probeEvent('stream.ended', { streamId }, at);

/** Keeps `open` (the shows started and not ended) up to date with one event's show change. */
export function trackShow(open: Set<string>, show: ShowChange | undefined): void {
  if (show?.open) open.add(show.streamId);
  else if (show) open.delete(show.streamId);
}
type Send = (events: Encoded[]) => Promise<number>;

async function kafkaSend(
  sink: Extract<LoadSink, { kind: 'kafka' }>,
): Promise<{ send: Send; close: () => Promise<void> }> {
  const kafka = new Kafka({ brokers: sink.brokers, clientId: 'nowcast-bench-load', logLevel: logLevel.WARN });
  // never re-create the run's raw topic after the suite deleted it (a generator still stopping)
  const producer: Producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return {
    send: async (events) => {
      await producer.send({
        topic: sink.topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: events,
      });
      return 0;
    },
    close: () => producer.disconnect(),
  };
}

function httpSend(sink: Extract<LoadSink, { kind: 'http' }>): { send: Send; close: () => Promise<void> } {
  return {
    send: async (events) => {
      const chunks: Encoded[][] = [];
      for (let i = 0; i < events.length; i += HTTP_CHUNK) chunks.push(events.slice(i, i + HTTP_CHUNK));
      const refused = await Promise.all(
        chunks.map(async (chunk) => {
          const response = await fetch(`${sink.url}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: `[${chunk.map((e) => e.value).join(',')}]`,
          });
          await response.arrayBuffer();
          return response.status === 202 ? 0 : chunk.length;
        }),
      );
      return refused.reduce((a, b) => a + b, 0);
    },
    close: () => Promise.resolve(),
  };
}

/** Most events generated ahead of a window (~250 bytes each in memory); longer loads simulate live. */
const MAX_PREGENERATED = 3_000_000;
/** Event time of a generated world before it is shifted to the wall clock, epoch ms. */
const BASE_MS = Date.UTC(2026, 0, 1);

/** The events due by `shiftedNow`, in order, encoded with occurredAt moved by `shift` ms. */
type Source = (now: number, shift: number) => Encoded[];

/**
 * Live: simulate as the clock goes (~20 us of CPU per event on this machine). Pregenerated: the
 * whole window is simulated and serialised before it starts, so the window costs only the send
 * and an occurredAt rewrite - the generator then takes little of the CPU the pipeline is measured
 * on - and is sent at exactly the asked rate.
 */
function source(spec: LoadSpec): Source {
  const simulator = new MarketplaceSimulator({
    seed: spec.seed,
    startTimeMs: BASE_MS,
    ratePerSec: spec.rate,
    idPrefix: spec.idPrefix,
  });
  const encode = (e: NowcastEvent, shift: number): Encoded => ({
    key: partitionKeyOf(e),
    value: JSON.stringify(shift === 0 ? e : { ...e, occurredAt: e.occurredAt + shift }),
    show: showChangeOf(e),
  });
  if (spec.live === true || spec.rate * spec.durationSec > MAX_PREGENERATED) {
    return (now, shift) => {
      const batch: Encoded[] = [];
      while (simulator.peekTime() + shift <= now) batch.push(encode(simulator.next(), shift));
      return batch;
    };
  }
  // the window's events in the simulator's order, sent at exactly `rate`: event i is due (and
  // occurs) at start + i / rate - the simulator's own timing overshoots while its audience warms up
  const count = Math.round(spec.rate * spec.durationSec);
  const encoded: (Encoded & { at: number })[] = [];
  for (let i = 0; i < count; i++) {
    const e = simulator.next();
    encoded.push({
      key: partitionKeyOf(e),
      value: JSON.stringify(e),
      at: e.occurredAt,
      show: showChangeOf(e),
    });
  }
  let next = 0;
  return (now, shift) => {
    const startAt = BASE_MS + shift;
    const dueCount = Math.min(count, Math.floor(((now - startAt) * spec.rate) / 1000) + 1);
    const batch: Encoded[] = [];
    for (; next < dueCount; next++) {
      const { key, value, at, show } = encoded[next];
      const occurredAt = startAt + Math.floor((next * 1000) / spec.rate);
      batch.push({ key, value: value.replace(`"occurredAt":${at}`, `"occurredAt":${occurredAt}`), show });
    }
    return batch;
  };
}

/** Runs the load in this process (the child's body); `report` gets progress every second. */
export async function generateLoad(
  spec: LoadSpec,
  stopped: () => boolean,
  report: (progress: LoadReport) => void,
  onStart: () => void = () => undefined,
): Promise<LoadReport> {
  const io = spec.sink.kind === 'kafka' ? await kafkaSend(spec.sink) : httpSend(spec.sink);
  // the world (and the pregenerated window) is built first; its event time is then shifted so
  // the first event is due now rather than in a burst of what became due meanwhile
  const due = source(spec);
  const startAt = Date.now();
  const shift = startAt - BASE_MS;
  onStart();
  const cpu0 = process.cpuUsage();
  const endAt = startAt + spec.durationSec * 1000;
  let written = 0;
  let rejected = 0;
  let reportedAt = startAt;
  const openShows = new Set<string>();
  const progress = (): LoadReport => {
    const cpu = process.cpuUsage(cpu0);
    return { written, rejected, wallMs: Date.now() - startAt, cpuUs: cpu.user + cpu.system, closedShows: 0 };
  };
  try {
    while (!stopped()) {
      const now = Math.min(Date.now(), endAt);
      const batch = due(now, shift);
      if (batch.length > 0) {
        let refused: number;
        try {
          refused = await io.send(batch);
        } catch {
          refused = batch.length;
        }
        rejected += refused;
        written += batch.length - refused;
        // an http chunk refused in part cannot say which: ending an unknown stream is harmless
        if (refused < batch.length) for (const { show } of batch) trackShow(openShows, show);
      }
      if (Date.now() - reportedAt >= 1000) {
        reportedAt = Date.now();
        report(progress());
      }
      if (now >= endAt) break;
      const wait = TICK_MS - (Date.now() - now);
      if (wait > 0) await sleep(wait);
    }
    const final = progress();
    const closing = closingEvents(openShows, Date.now());
    if (closing.length > 0)
      final.closedShows = closing.length - (await io.send(closing).catch(() => closing.length));
    return final;
  } finally {
    await io.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RunningLoad {
  /** Latest progress (updated every second). */
  progress(): LoadReport;
  /** Resolves when the first events are due (the process is up and its world built). */
  started: Promise<void>;
  /** Resolves when the load ends (duration over or stop()). */
  done: Promise<LoadReport>;
  stop(): void;
}

type ChildMessage =
  | { kind: 'progress' | 'done'; report: LoadReport }
  | { kind: 'started' }
  | { kind: 'error'; message: string };

/** Generators still running, so an interrupted suite can stop them. */
const running = new Set<ChildProcess>();

/** SIGKILLs every generator still running (the suite was interrupted). */
export function killAllLoads(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * A window without load (rate 0: a quiet phase of the stall tracer, a baseline): nothing is forked;
 * `done` resolves when the window is over or stopped, with nothing written.
 */
function idleLoad(durationSec: number): RunningLoad {
  const startedAt = Date.now();
  const report = (): LoadReport => ({
    written: 0,
    rejected: 0,
    wallMs: Date.now() - startedAt,
    cpuUs: 0,
    closedShows: 0,
  });
  let finish: () => void = () => undefined;
  const done = new Promise<LoadReport>((resolve) => {
    const timer = setTimeout(() => finish(), durationSec * 1_000);
    finish = () => {
      clearTimeout(timer);
      resolve(report());
    };
  });
  return { progress: report, started: Promise.resolve(), done, stop: () => finish() };
}

/** Forks a generator process (this file) with `spec`; a rate of 0 (or less) is a window without load. */
export function startLoad(spec: LoadSpec): RunningLoad {
  // the generator paces event i at i / rate: at 0 it would never be due, and `done` never came
  if (!(spec.rate > 0)) return idleLoad(spec.durationSec);
  const child: ChildProcess = fork(__filename, ['--bench-load', JSON.stringify(spec)], {
    execArgv: ['-r', '@swc-node/register'],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let latest: LoadReport = { written: 0, rejected: 0, wallMs: 0, cpuUs: 0, closedShows: 0 };
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const done = new Promise<LoadReport>((resolve, reject) => {
    child.on('message', (m: ChildMessage) => {
      if (m.kind === 'error') reject(new Error(`load generator: ${m.message}`));
      else if (m.kind === 'started') onStarted();
      else {
        latest = m.report;
        if (m.kind === 'done') resolve(m.report);
      }
    });
    child.once('exit', (code) => {
      onStarted();
      reject(new Error(`load generator exited with ${code}`));
    });
  });
  done.catch(() => undefined); // awaited by the caller; never an unhandled rejection here
  return {
    progress: () => latest,
    started,
    done,
    stop: () => {
      if (child.connected) child.send('stop');
      // a generator that does not finish its last send within 10 s is killed
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    },
  };
}

if (require.main === module && process.argv[2] === '--bench-load') {
  const spec = JSON.parse(process.argv[3]) as LoadSpec;
  let stop = false;
  process.on('message', () => (stop = true));
  process.on('disconnect', () => (stop = true));
  const send = (m: ChildMessage) => process.send?.(m);
  generateLoad(
    spec,
    () => stop,
    (report) => send({ kind: 'progress', report }),
    () => send({ kind: 'started' }),
  )
    .then((report) => send({ kind: 'done', report }))
    .catch((error: unknown) => send({ kind: 'error', message: (error as Error).message }))
    .finally(() => process.disconnect?.());
}
