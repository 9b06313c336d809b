import { loadConfig, pipelineTopicSpec, topicsEnv } from '@app/config';
import { StreamLifecycle, StreamMetricsSnapshot } from '@app/contracts';
import { BatchingProducer, CompactedTopicReader, ensureTopics, OutboundMessage } from '@app/kafka';
import { randomUUID } from 'node:crypto';
import { LiveMetricsCache } from '../apps/recommender-api/src/live-metrics/live-metrics.cache';
import { startedSnapshot } from '../apps/recommender-api/src/live-metrics/stream-lifecycle.gate';
import { arg } from './cli-args';
import { deleteKafkaState } from './suite/infra';
import { median } from './suite/percentiles';

/**
 * What the recommender's boot costs per stream in its two stream feeds: writes `--streams` ended
 * streams (each a lifecycle start and end, and its last metrics snapshot, live: false with lifetime
 * totals) to fresh topics configured as the bootstrap configures them, then replays both `--runs`
 * times the way the recommender boots (CompactedTopicReader -> LiveMetricsCache, the lifecycle feed
 * read uncommitted) until caught up:
 *   npm run bench -- feed-replay --brokers 127.0.0.1:9092 [--streams 100000] [--runs 3] [--partitions 6]
 * The records are not compacted yet (the cleaner has not run on fresh segments): one record per
 * stream and feed entry, as a compacted feed holds after the cleaner's pass. The topics are deleted
 * at the end.
 */
export async function run(args: string[]): Promise<Record<string, unknown>> {
  const brokers = arg(args, 'brokers', '127.0.0.1:9092').split(',');
  const streams = Number(arg(args, 'streams', '100000'));
  const runs = Number(arg(args, 'runs', '3'));
  const partitions = Number(arg(args, 'partitions', '6'));
  const topicPrefix = `bench-replay-${randomUUID().slice(0, 8)}-`;
  const topics = loadConfig(
    { topics: topicsEnv() },
    {
      TOPIC_METRICS_STREAMS: `${topicPrefix}metrics`,
      TOPIC_STREAM_LIFECYCLE: `${topicPrefix}lifecycle`,
      TOPIC_PARTITIONS: String(partitions),
    },
  ).topics;
  const metricsTopic = topics.names.metricsStreams;
  const lifecycleTopic = topics.names.streamLifecycle;
  await ensureTopics({ brokers }, [
    pipelineTopicSpec(topics, 'metricsStreams'),
    pipelineTopicSpec(topics, 'streamLifecycle'),
  ]);

  const replays: { ms: number; heapMb: number }[] = [];
  let written: { records: number; bytes: number };
  try {
    written = await writeEndedStreams(brokers, metricsTopic, lifecycleTopic, streams);
    for (let i = 0; i < runs; i++) replays.push(await replay(brokers, metricsTopic, lifecycleTopic));
  } finally {
    await deleteKafkaState(brokers, topicPrefix, []);
  }
  const medianMs = median(replays.map((r) => r.ms));
  return {
    streams,
    records: written.records,
    bytes: written.bytes,
    // in run order: the first replay also waits for the fresh topics' leaders and groups
    replayMs: replays.map((r) => r.ms),
    medianMs,
    usPerStream: Math.round((medianMs * 1000) / streams),
    recordsPerSec: Math.round(written.records / (medianMs / 1000)),
    heapMbAfter: replays.map((r) => r.heapMb),
  };
}

async function writeEndedStreams(
  brokers: string[],
  metricsTopic: string,
  lifecycleTopic: string,
  streams: number,
): Promise<{ records: number; bytes: number }> {
  const producer = new BatchingProducer({ brokers, lingerMs: 5 });
  let bytes = 0;
  const t0 = Date.now() - 3 * 24 * 3600_000;
  try {
    for (let from = 0; from < streams; from += 2_000) {
      const lifecycle: OutboundMessage[] = [];
      const metrics: OutboundMessage[] = [];
      for (let i = from; i < Math.min(streams, from + 2_000); i++) {
        const [start, end, last] = endedStream(`stream-${i}`, `seller-${i % 5_000}`, t0 + i * 1_000);
        for (const record of [start, end])
          lifecycle.push({ key: record.streamId, value: JSON.stringify(record) });
        metrics.push({ key: last.streamId, value: JSON.stringify(last) });
      }
      for (const m of [...lifecycle, ...metrics]) bytes += String(m.value).length;
      await Promise.all([producer.send(lifecycleTopic, lifecycle), producer.send(metricsTopic, metrics)]);
    }
  } finally {
    await producer.close();
  }
  return { records: streams * 3, bytes };
}

/** A stream's lifecycle start and end and its last metrics snapshot. */
function endedStream(
  streamId: string,
  sellerId: string,
  startedAt: number,
): [StreamLifecycle, StreamLifecycle, StreamMetricsSnapshot] {
  const start: StreamLifecycle = {
    schemaVersion: 1,
    streamId,
    eventId: randomUUID(),
    live: true,
    sellerId,
    title: `Vintage watches and cards, live auction ${streamId}`,
    category: 'watches',
    language: 'en',
    startedAt,
  };
  const endedAt = startedAt + 90 * 60_000;
  const end: StreamLifecycle = {
    schemaVersion: 1,
    streamId,
    eventId: randomUUID(),
    live: false,
    startedAt,
    endedAt,
    endReason: 'ended',
  };
  const last: StreamMetricsSnapshot = {
    ...startedSnapshot(start, endedAt),
    live: false,
    peakViewers: 412,
    uniqueViewers: 1_870,
    lifetime: {
      chats: 3_214,
      bids: 655,
      purchases: 48,
      gmvByCurrency: { EUR: 2_145_000 },
      giveawayEntries: 120,
      uniqueViewers: 1_870,
    },
    lastEventAt: endedAt,
    endedAt,
    endReason: 'ended',
  };
  return [start, end, last];
}

async function replay(
  brokers: string[],
  metricsTopic: string,
  lifecycleTopic: string,
): Promise<{ ms: number; heapMb: number }> {
  const cache = new LiveMetricsCache({ maxEnded: 50_000, trendingRefreshMs: 250 });
  const readers = [
    new CompactedTopicReader(
      { kafka: { brokers }, topic: metricsTopic, groupIdPrefix: 'bench-replay-metrics' },
      (r) => cache.applyRecords(r),
    ),
    new CompactedTopicReader(
      {
        kafka: { brokers },
        topic: lifecycleTopic,
        groupIdPrefix: 'bench-replay-lifecycle',
        readUncommitted: true,
      },
      (r) => cache.applyLifecycleRecords(r),
    ),
  ];
  const started = performance.now();
  try {
    await Promise.all(readers.map((reader) => reader.start()));
    const caughtUp = await Promise.all(readers.map((reader) => reader.waitUntilCaughtUp(600_000)));
    if (caughtUp.includes(false)) throw new Error('replay did not catch up within 10 minutes');
    const ms = performance.now() - started;
    if (cache.invalid > 0) throw new Error(`${cache.invalid} records refused by the contracts`);
    return { ms: Math.round(ms), heapMb: Math.round(process.memoryUsage().heapUsed / 1e6) };
  } finally {
    await Promise.all(readers.map((reader) => reader.stop()));
  }
}
