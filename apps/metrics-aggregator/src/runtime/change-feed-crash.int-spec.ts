import { parseStreamMetricsSnapshot, StreamMetricsSnapshot } from '@app/contracts';
import { testInfra, uniqueName } from '@app/testing';
import { AggregatorSettings, DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { AggregatorRestartRig } from '../test-support/aggregator-restart.rig';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { exited, readTopic } from '../test-support/int-helpers';
import { lastOffsets, produceEvents } from '../test-support/pipeline.helpers';

async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('change feed after a SIGKILL between apply and flush (real Kafka + Redis)', () => {
  const { kafkaBrokers: brokers, redisUrl } = testInfra();
  // a long coalescing interval: nothing in the feed may depend on a flush that was never made
  const settings: AggregatorSettings = { ...DEFAULT_AGGREGATOR_SETTINGS, coalesceMs: 600_000 };
  let rig: AggregatorRestartRig;

  beforeEach(async () => {
    rig = await AggregatorRestartRig.create({
      brokers,
      redisUrl,
      settings,
      name: 'agg-crash',
      partitions: 1,
    });
  });

  afterEach(() => rig.dispose());

  it('republishes the applied streams on restart: the ended one live: false, exact totals', async () => {
    const { topics, repo } = rig;
    const t0 = Date.now() - 5 * 60_000;
    const f = new EnrichedEventFactory();
    const ended = uniqueName('ended');
    const live = uniqueName('live');
    const events = [
      f.started(ended, t0),
      f.started(live, t0 + 1),
      f.event('view.started', t0 + 100, { userId: 'u1', streamId: ended }),
      f.event('view.started', t0 + 200, { userId: 'u2', streamId: ended }),
      f.event('chat.message', t0 + 300, { userId: 'u1', streamId: ended }),
      f.event('chat.message', t0 + 400, { userId: 'u2', streamId: ended }),
      f.event('chat.message', t0 + 500, { userId: 'u1', streamId: ended }),
      f.event('purchase.completed', t0 + 600, {
        userId: 'u2',
        streamId: ended,
        amount: 12.5,
        currency: 'EUR',
      }),
      f.event('view.started', t0 + 700, { userId: 'u3', streamId: live }),
      f.event('chat.message', t0 + 800, { userId: 'u3', streamId: live }),
      f.event('chat.message', t0 + 900, { userId: 'u3', streamId: live }),
      f.event('stream.ended', t0 + 1_000, { streamId: ended }),
    ];
    // one produce call: one record batch, one consumed batch
    await produceEvents(brokers, topics.enriched, events);
    const [[, last]] = [...(await lastOffsets(brokers, topics.enriched))];

    // the child applies the batch (state + offset, atomically) and SIGKILLs itself before any flush
    await exited(await rig.startChild({ killAfterBatches: 1 }));
    expect((await repo.readProgress(topics.enriched, 0)).offset).toBe(last);
    expect((await lastOffsets(brokers, topics.metricsStreams)).size).toBe(0);
    expect((await repo.readPending(topics.enriched, 0)).map((p) => p.streamId).sort()).toEqual(
      [ended, live].sort(),
    );

    // restart: the batch is redelivered and skipped (already applied); no later event for either stream
    await rig.startInProcess();
    const feed = await readTopic(brokers, topics.metricsStreams, (seen) => {
      const keys = new Set(seen.map((r) => r.key));
      return keys.has(ended) && keys.has(live);
    });
    const latest = new Map<string, StreamMetricsSnapshot>();
    for (const { key, value } of feed)
      latest.set(key, parseStreamMetricsSnapshot(JSON.parse(value ?? 'null')));
    expect(latest.get(ended)).toMatchObject({
      live: false,
      endReason: 'ended',
      endedAt: t0 + 1_000,
      lifetime: { chats: 3, purchases: 1, bids: 0, gmvByCurrency: { EUR: 125_000 }, uniqueViewers: 2 },
    });
    expect(latest.get(live)).toMatchObject({
      live: true,
      lifetime: { chats: 2, purchases: 0, uniqueViewers: 1 },
    });
    // acked records leave the pending set; the partition's watermark is republished
    expect(
      await eventually(
        () => repo.readPending(topics.enriched, 0),
        (p) => p.length === 0,
      ),
    ).toEqual([]);
    const watermarks = await eventually(
      () => repo.readWatermarks(),
      (w) => w.some((x) => x.eventTime === t0 + 1_000),
    );
    expect(watermarks.map((w) => [w.partition, w.eventTime])).toEqual([[0, t0 + 1_000]]);
  });
});
