import { NowcastEvent } from '@app/contracts';
import { HashingContentEmbeddingProvider } from '@app/embeddings';
import { MarketplaceSimulator } from '@app/simulator';
import { StreamContentTracker } from '../apps/embedding-writer/src/content-embedding/stream-content.tracker';
import {
  DEFAULT_EMBEDDING_MODEL_OPTIONS,
  EmbeddingModelOptions,
  EmbeddingModelService,
} from '../apps/embedding-writer/src/embedding-model/embedding-model.service';
import { arg } from './cli-args';
import { fullGc } from './full-gc';
import { endOfShow, showChangeOf, trackShow } from './suite/load-generator';

/**
 * The embedding-writer's model alone, in process (no Kafka, no Redis): CPU per event through
 * simulator worlds taken one after another, as the suite's ingest trials and the stall tracer's
 * phases feed them to one writer.
 *   npm run bench -- embedding-model [--events 780000] [--rate 4200] [--worlds 3] [--window 100000]
 *     [--shared-ids] [--no-close] [--user-idle-sec N] [--runs 3]
 * Each world is a simulator of its own seed at `--rate` events/s of event time (occurredAt runs on
 * from one world to the next). `--shared-ids`: every world uses the same user, seller and stream
 * ids (the benchmarks before session 17), else each its own prefix. `--no-close`: a world's shows
 * still live at its end stay live in the model (in the mesh the aggregator's lease expires them a
 * minute later; the model alone has no lease), else they get a stream.ended. The model drains
 * (as the writer's coalescing flush does) every quarter second of event time. `--user-idle-sec`:
 * users idle this long (event time) leave the model, 0 = never (the writer's default is 7 days,
 * which no run here reaches: a minute shows what the sweep keeps and costs). Per `--window` events: us per
 * event (apply + drain; median of `--runs` replays, each on a new model), the streams and users
 * each drain hands out, the live streams and the users in the model, and the memory in use after
 * a full GC (MB; the bench's own event list is part of it).
 */
export async function run(args: string[]): Promise<Record<string, unknown>> {
  const total = Number(arg(args, 'events', '780000'));
  const rate = Number(arg(args, 'rate', '4200'));
  const worlds = Number(arg(args, 'worlds', '3'));
  const windowSize = Number(arg(args, 'window', '100000'));
  const sharedIds = args.includes('--shared-ids');
  const close = !args.includes('--no-close');
  const runs = Number(arg(args, 'runs', '3'));
  const idleSec = arg(args, 'user-idle-sec', '');
  const options = {
    ...DEFAULT_EMBEDDING_MODEL_OPTIONS,
    // as EMBEDDING_USER_IDLE_SEC: 0 = never
    ...(idleSec === '' ? {} : { userIdleMs: Number(idleSec) * 1000 || Number.POSITIVE_INFINITY }),
  };
  const events = worldsInARow(total, rate, worlds, sharedIds, close);
  await Promise.resolve();
  const perRun = Array.from({ length: runs }, () => replay(events, rate, windowSize, options));
  // the counts are the same in every run (deterministic); the time is the median of the runs
  const windows = perRun[0].map((w, i) => ({
    ...w,
    usPerEvent: median(perRun.map((r) => r[i].usPerEvent)),
    usPerEventByRun: perRun.map((r) => r[i].usPerEvent).join(' / '),
  }));
  const userIdleSec = options.userIdleMs / 1000;
  return { events: events.length, rate, worlds, sharedIds, closeShows: close, userIdleSec, runs, windows };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Applies the events to a new model, draining every quarter second of event time; per window figures. */
function replay(
  events: readonly NowcastEvent[],
  rate: number,
  windowSize: number,
  options: EmbeddingModelOptions,
): Record<string, number>[] {
  const model = new EmbeddingModelService(options);
  const content = new HashingContentEmbeddingProvider(model.options.dimension);
  const contents = new StreamContentTracker();
  const drainEvery = Math.max(1, Math.round(rate / 4));
  const windows: Record<string, number>[] = [];
  let drains = 0;
  let streams = 0;
  let users = 0;
  let started = process.hrtime.bigint();
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const text = contents.contentFor(event);
    model.apply(event, text ? content.embedOne(text) : undefined);
    if ((i + 1) % drainEvery === 0) {
      const changes = model.drain(true);
      drains++;
      streams += changes.streams.length;
      users += changes.users.length;
    }
    if ((i + 1) % windowSize === 0 || i === events.length - 1) {
      const now = process.hrtime.bigint();
      const count = (i % windowSize) + 1;
      windows.push({
        upToEvent: i + 1,
        usPerEvent: Math.round(Number(now - started) / 1e2 / count) / 10,
        streamsPerDrain: Math.round(streams / Math.max(1, drains)),
        usersPerDrain: Math.round(users / Math.max(1, drains)),
        liveStreams: model.streams.size,
        usersInModel: model.users.size,
        memoryMB: memoryAfterGc(),
      });
      drains = streams = users = 0;
      started = process.hrtime.bigint();
    }
  }
  return windows;
}

/**
 * Heap plus array buffers (the vectors' backing stores) in use after a full GC, MB. Called
 * outside the timed part of a window.
 */
function memoryAfterGc(): number {
  fullGc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return Math.round((heapUsed + arrayBuffers) / 1e5) / 10;
}

/** `total` events of `worlds` simulator worlds in a row, each `total / worlds` events long. */
function worldsInARow(
  total: number,
  rate: number,
  worlds: number,
  sharedIds: boolean,
  close: boolean,
): NowcastEvent[] {
  const events: NowcastEvent[] = [];
  const perWorld = Math.round(total / worlds);
  const startMs = Date.UTC(2026, 0, 1);
  for (let w = 0; w < worlds; w++) {
    const simulator = new MarketplaceSimulator({
      seed: 1_000 + w,
      startTimeMs: startMs,
      ratePerSec: rate,
      idPrefix: sharedIds ? '' : `w${w + 1}.`,
    });
    const open = new Set<string>();
    const worldStart = startMs + (w * perWorld * 1000) / rate;
    for (let i = 0; i < perWorld; i++) {
      const event = { ...simulator.next(), occurredAt: worldStart + Math.floor((i * 1000) / rate) };
      trackShow(open, showChangeOf(event));
      events.push(event);
    }
    if (close)
      for (const streamId of open) events.push(endOfShow(streamId, worldStart + (perWorld * 1000) / rate));
  }
  return events;
}
