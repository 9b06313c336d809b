import { parseStreamMetricsSnapshot } from '@app/contracts';
import { DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { InMemoryAggregateStateRepository } from '../state/in-memory-aggregate-state.repository';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { RecordingProducer } from '@app/testing';
import { ChangeFeedPublisher } from './change-feed.publisher';

const T0 = Date.UTC(2026, 10, 26, 12);
const PUBLISHER_OPTIONS = {
  enrichedTopic: 'enriched',
  metricsTopic: 'metrics',
  watermarksTopic: 'wm',
  coalesceMs: 1_000,
  source: 'metrics-aggregator',
};
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('ChangeFeedPublisher', () => {
  it('publishes valid snapshots of changed streams, skips unchanged ones, then the watermark', async () => {
    const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
    const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
    const producer = new RecordingProducer();
    const feed = new ChangeFeedPublisher(repo, producer, PUBLISHER_OPTIONS);
    const f = new EnrichedEventFactory();
    const events = [
      f.started('s1', T0),
      f.event('chat.message', T0 + 10, { userId: 'u', streamId: 's1' }),
      f.event('purchase.completed', T0 + 20, { userId: 'u', streamId: 's1', amount: 12.5, currency: 'EUR' }),
    ];
    await applier.apply(
      'enriched',
      0,
      events.map((event, i) => ({ offset: String(i), event })),
    );
    feed.markApplied({ partition: 0, lastOffset: '2', streamIds: ['s1'], eventTime: T0 + 20 });
    await feed.flush();
    const [snapshot] = producer.values('metrics').map((v) => parseStreamMetricsSnapshot(v));
    expect(snapshot).toMatchObject({
      streamId: 's1',
      live: true,
      lifetime: { chats: 1, purchases: 1, gmvByCurrency: { EUR: 125_000 } },
    });
    expect(snapshot.rates['1m'].chats).toBeGreaterThan(0);
    const [watermark] = producer.values('wm') as { updatedAt: number }[];
    expect(watermark).toEqual({
      source: 'metrics-aggregator',
      topic: 'enriched',
      partition: 0,
      eventTime: T0 + 20,
      updatedAt: watermark.updatedAt,
    });
    expect(watermark.updatedAt).toBeGreaterThan(0);
    feed.markApplied({ partition: 0, lastOffset: '2', streamIds: ['s1'], eventTime: T0 + 20 });
    await feed.flush();
    expect(producer.values('metrics')).toHaveLength(1);
    await applier.apply('enriched', 0, [
      { offset: '3', event: f.event('stream.ended', T0 + 30, { streamId: 's1' }) },
    ]);
    feed.markApplied({
      partition: 0,
      lastOffset: '3',
      streamIds: ['s1'],
      eventTime: T0 + 30,
      urgent: new Map([['s1', TRACEPARENT]]),
    });
    await feed.close();
    expect(producer.values('metrics')[1]).toMatchObject({
      live: false,
      endReason: 'ended',
      endedAt: T0 + 30,
    });
    expect(producer.sent.filter((s) => s.topic === 'metrics')[1].message.headers).toEqual({
      traceparent: TRACEPARENT,
    });
    expect((await repo.readWatermarks())[0].eventTime).toBe(T0 + 30);
  });

  it("writes a live stream's unchanged record again once refreshMs passed (the feed's retention keeps live streams)", async () => {
    let now = Date.now();
    const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
    const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
    const producer = new RecordingProducer();
    const feed = new ChangeFeedPublisher(
      repo,
      producer,
      { ...PUBLISHER_OPTIONS, refreshMs: 60_000 },
      () => now,
    );
    const f = new EnrichedEventFactory();
    await applier.apply('enriched', 0, [{ offset: '0', event: f.started('quiet', now) }]);
    const heartbeat = async (offset: number) => {
      feed.markApplied({ partition: 0, lastOffset: String(offset), streamIds: ['quiet'], eventTime: now });
      await feed.flush();
    };
    await heartbeat(0);
    now += 30_000;
    await heartbeat(1);
    expect(producer.values('metrics')).toHaveLength(1);

    now += 30_000;
    await heartbeat(2);
    now += 1_000;
    await heartbeat(3);

    const records = producer.values('metrics').map((v) => parseStreamMetricsSnapshot(v));
    expect(records.map((r) => [r.streamId, r.live])).toEqual([
      ['quiet', true],
      ['quiet', true],
    ]);
    await feed.close();
  });

  it('publishes a lifecycle change at once while a slow flush runs, and holds the watermark for it', async () => {
    const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
    const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
    const producer = new RecordingProducer();
    // the flush that reads 'busy' waits until the test opens the gate (a big flush under load)
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const read = repo.readStreams.bind(repo);
    repo.readStreams = async (ids) => {
      if (ids.includes('busy')) await gate;
      return read(ids);
    };
    const feed = new ChangeFeedPublisher(repo, producer, PUBLISHER_OPTIONS);
    const f = new EnrichedEventFactory();
    const records = () => (producer.values('metrics') as { streamId: string }[]).map((r) => r.streamId);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
    await applier.apply('enriched', 0, [{ offset: '0', event: f.started('busy', T0) }]);
    feed.markApplied({ partition: 0, lastOffset: '0', streamIds: ['busy'], eventTime: T0 });
    await settle(); // the main flush is now stuck reading 'busy'
    await applier.apply('enriched', 0, [{ offset: '1', event: f.started('new', T0 + 5) }]);
    feed.markApplied({
      partition: 0,
      lastOffset: '1',
      streamIds: ['new'],
      eventTime: T0 + 5,
      urgent: new Map([['new', undefined]]),
    });
    await settle();
    expect(records()).toEqual(['new']); // did not wait for the stuck flush
    expect(producer.values('wm')).toEqual([]); // the watermark waits for 'busy'
    open();
    await feed.close();
    expect(records()).toEqual(['new', 'busy']);
    expect((producer.values('wm') as { eventTime: number }[]).at(-1)?.eventTime).toBe(T0 + 5);
  });

  describe('adaptive per-stream coalescing', () => {
    beforeEach(() => jest.useFakeTimers({ now: T0 + 1_000_000 }));
    afterEach(() => jest.useRealTimers());

    it('sends a quiet stream at once, holds a busy one for its interval, and the watermark with it', async () => {
      const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
      const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
      const producer = new RecordingProducer();
      const feed = new ChangeFeedPublisher(repo, producer, {
        enrichedTopic: 'enriched',
        metricsTopic: 'metrics',
        watermarksTopic: 'wm',
        coalesceMs: 250,
        minCoalesceMs: 100,
        recordsPerSecBudget: 1_000_000,
        source: 'metrics-aggregator',
      });
      const f = new EnrichedEventFactory();
      let offset = 0;
      const step = async (
        streamIds: string[],
        t: number,
        events = streamIds.map((id) => f.started(id, t)),
      ) => {
        await applier.apply(
          'enriched',
          0,
          events.map((event) => ({ offset: String(offset++), event })),
        );
        feed.markApplied({ partition: 0, lastOffset: String(offset - 1), streamIds, eventTime: t });
        await jest.advanceTimersByTimeAsync(0);
      };
      const chat = (id: string, t: number) => [f.event('chat.message', t, { userId: 'u', streamId: id })];
      const records = () => (producer.values('metrics') as { streamId: string }[]).map((r) => r.streamId);
      const watermark = () => (producer.values('wm') as { eventTime: number }[]).at(-1)?.eventTime;

      await step(['s1', 's2'], T0);
      expect(records()).toEqual(['s1', 's2']);
      expect(watermark()).toBe(T0);
      await jest.advanceTimersByTimeAsync(150);
      await step(['s1'], T0 + 1, chat('s1', T0 + 1)); // last record 150 ms ago: due
      expect(records()).toEqual(['s1', 's2', 's1']);
      await jest.advanceTimersByTimeAsync(10);
      await step(['s1'], T0 + 2, chat('s1', T0 + 2)); // 10 ms after its last record: waits
      await step(['s2'], T0 + 3, chat('s2', T0 + 3)); // quiet for 160 ms: at once
      expect(records()).toEqual(['s1', 's2', 's1', 's2']);
      expect(watermark()).toBe(T0 + 1); // s1's change at T0 + 2 is not in the feed yet
      await jest.advanceTimersByTimeAsync(100);
      expect(records()).toEqual(['s1', 's2', 's1', 's2', 's1']);
      expect(watermark()).toBe(T0 + 3);
      await feed.close();
    });
  });
});
