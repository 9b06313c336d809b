/**
 * npm run simulate -- --seed 1 --rate 200 --duration 60 --sink file --out events.jsonl
 * npm run simulate -- --sink kafka --brokers 127.0.0.1:9092 [--topic nowcast.events.raw.v1] [--create-topic]
 * npm run simulate -- --simulated-time --events 1000000 --sink file --out big.jsonl
 *
 * Paced (default): events carry wall-clock time and are sent as they happen, for --duration
 * seconds (or until --events). --simulated-time: event time runs as fast as the CPU allows from
 * --start (default now), for --events events or --duration seconds of event time.
 */
import { DEFAULT_PARTITIONS, DEFAULT_TOPICS } from '@app/contracts';
import { EventSink, JsonLinesFileSink, KafkaSink, MarketplaceSimulator, runSimulation } from '@app/simulator';
import { SingleBar, Presets } from 'cli-progress';
import { parseArgs } from 'node:util';

const HELP = `usage: npm run simulate -- [--seed N] [--rate events/s] [--duration s] [--events N]
  [--simulated-time] [--start epoch-ms|ISO] [--users N] [--sellers N]
  --sink file --out <file.jsonl> | --sink kafka [--brokers host:port,...] [--topic name] [--create-topic]`;

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number: ${value}`);
  return parsed;
}

function sinkFrom(values: Record<string, string | boolean | undefined>): EventSink {
  const kind = (values.sink as string | undefined) ?? 'file';
  if (kind === 'file') {
    const out = values.out as string | undefined;
    if (!out) throw new Error('--sink file needs --out <file.jsonl>');
    return new JsonLinesFileSink(out);
  }
  if (kind === 'kafka') {
    const brokers = (
      (values.brokers as string | undefined) ??
      process.env.KAFKA_BROKERS ??
      '127.0.0.1:9092'
    ).split(',');
    return new KafkaSink({
      brokers,
      topic: (values.topic as string | undefined) ?? DEFAULT_TOPICS.raw,
      createTopicPartitions: values['create-topic'] ? DEFAULT_PARTITIONS.raw : undefined,
    });
  }
  throw new Error(`unknown --sink ${kind} (file | kafka)`);
}

function startTime(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const asNumber = Number(value);
  const parsed = Number.isFinite(asNumber) ? asNumber : Date.parse(value);
  if (!Number.isFinite(parsed)) throw new Error(`--start must be epoch ms or an ISO date: ${value}`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      rate: { type: 'string', default: '200' },
      duration: { type: 'string' },
      events: { type: 'string' },
      'simulated-time': { type: 'boolean', default: false },
      start: { type: 'string' },
      users: { type: 'string' },
      sellers: { type: 'string' },
      sink: { type: 'string' },
      out: { type: 'string' },
      brokers: { type: 'string' },
      topic: { type: 'string' },
      'create-topic': { type: 'boolean', default: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const simulated = values['simulated-time'] === true;
  const events = number(values.events, 'events');
  const durationSec =
    number(values.duration, 'duration') ?? (events === undefined ? (simulated ? undefined : 60) : undefined);
  const maxEvents = events ?? (simulated && durationSec === undefined ? 100_000 : undefined);
  const startTimeMs = simulated ? startTime(values.start) : Date.now();
  const simulator = new MarketplaceSimulator({
    seed: number(values.seed, 'seed') ?? 1,
    startTimeMs,
    ratePerSec: number(values.rate, 'rate'),
    users: number(values.users, 'users'),
    sellers: number(values.sellers, 'sellers'),
  });
  const sink = sinkFrom(values);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const untilMs = durationSec === undefined ? undefined : startTimeMs + durationSec * 1_000;
  const total = maxEvents ?? Math.round((durationSec ?? 0) * simulator.options.ratePerSec);
  const bar = new SingleBar(
    { format: 'simulate [{bar}] {value}/{total} events | {eta_formatted} left', etaBuffer: 50 },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  const { users, sellers, ratePerSec } = simulator.options;
  try {
    const result = await runSimulation(simulator, sink, {
      mode: simulated ? 'simulated' : 'paced',
      maxEvents,
      untilMs,
      signal: abort.signal,
      onProgress: (written) => bar.update(Math.min(written, total)),
    });
    bar.update(result.written);
    bar.stop();
    const stats = simulator.stats();
    console.error(
      JSON.stringify({
        written: result.written,
        wallMs: result.wallMs,
        eventsPerWallSec: Math.round((result.written / Math.max(1, result.wallMs)) * 1_000),
        eventTimeSec: Math.round((result.lastOccurredAt - startTimeMs) / 1_000),
        ratePerSec,
        users,
        sellers,
        liveStreams: stats.liveStreams,
        viewers: stats.viewers,
        byType: stats.byType,
      }),
    );
  } finally {
    bar.stop();
    await sink.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  console.error(HELP);
  process.exitCode = 1;
});
