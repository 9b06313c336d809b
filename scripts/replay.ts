/**
 * npm run replay -- <file.jsonl> --to kafka [--speed x] [--keep-time] [--brokers host:port] [--topic name]
 *
 * Replays a JSON-lines event log (the simulator's or any log in the v1 envelope format) into the
 * raw topic, keyed by partitionKeyOf, with a progress bar. Event times are shifted so the log ends
 * now (when the replay ends, if paced by --speed) unless --keep-time. Invalid lines are skipped
 * and counted. --speed 1 = real time, 10 = ten times faster; default: as fast as possible.
 */
import { DEFAULT_PARTITIONS, DEFAULT_TOPICS } from '@app/contracts';
import { KafkaSink, replayEventLog, summarizeEventLog } from '@app/simulator';
import { Presets, SingleBar } from 'cli-progress';
import { parseArgs } from 'node:util';

const HELP =
  'usage: npm run replay -- <file.jsonl> --to kafka [--speed x] [--keep-time] [--brokers host:port,...] [--topic name]';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      to: { type: 'string', default: 'kafka' },
      speed: { type: 'string' },
      'keep-time': { type: 'boolean', default: false },
      brokers: { type: 'string' },
      topic: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(HELP);
    if (!values.help) process.exitCode = 1;
    return;
  }
  if (values.to !== 'kafka') throw new Error(`unknown --to ${values.to} (kafka)`);
  const speed = values.speed === undefined ? Infinity : Number(values.speed);
  if (!(speed > 0)) throw new Error(`--speed must be a number > 0: ${values.speed}`);
  const path = positionals[0];
  const summary = await summarizeEventLog(path);
  const sink = new KafkaSink({
    brokers: (values.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    topic: values.topic ?? DEFAULT_TOPICS.raw,
    // idempotent: a fresh broker gets the topic with the pipeline's partitioning, not an auto-created one
    createTopicPartitions: DEFAULT_PARTITIONS.raw,
  });
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const bar = new SingleBar(
    { format: 'replay [{bar}] {value}/{total} events | {eta_formatted} left' },
    Presets.shades_classic,
  );
  bar.start(summary.events, 0);
  try {
    const result = await replayEventLog(path, summary, sink, {
      speed,
      keepTime: values['keep-time'],
      signal: abort.signal,
      onProgress: (replayed) => bar.update(replayed),
    });
    bar.stop();
    console.error(
      JSON.stringify({
        ...result,
        eventsPerWallSec: Math.round((result.replayed / Math.max(1, result.wallMs)) * 1_000),
      }),
    );
  } finally {
    bar.stop();
    await sink.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
