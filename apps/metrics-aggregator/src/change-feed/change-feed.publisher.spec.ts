import { parseStreamMetricsSnapshot } from '@app/contracts';
import { DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { InMemoryAggregateStateRepository } from '../state/in-memory-aggregate-state.repository';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { RecordingProducer } from '../test-support/recording.producer';
import { ChangeFeedPublisher } from './change-feed.publisher';

const T0 = Date.UTC(2026, 10, 26, 12);

describe('ChangeFeedPublisher', () => {
  it('publishes valid snapshots of changed streams, skips unchanged ones, then the watermark', async () => {
    const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
    const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
    const producer = new RecordingProducer();
    const feed = new ChangeFeedPublisher(repo, producer, {
      enrichedTopic: 'enriched',
      metricsTopic: 'metrics',
      watermarksTopic: 'wm',
      coalesceMs: 1_000,
      source: 'metrics-aggregator',
    });
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
    feed.markApplied(0, ['s1'], T0 + 20, false);
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
    feed.markApplied(0, ['s1'], T0 + 20, false);
    await feed.flush();
    expect(producer.values('metrics')).toHaveLength(1);
    await applier.apply('enriched', 0, [
      { offset: '3', event: f.event('stream.ended', T0 + 30, { streamId: 's1' }) },
    ]);
    feed.markApplied(0, ['s1'], T0 + 30, true);
    await feed.close();
    expect(producer.values('metrics')[1]).toMatchObject({
      live: false,
      endReason: 'ended',
      endedAt: T0 + 30,
    });
    expect((await repo.readWatermarks())[0].eventTime).toBe(T0 + 30);
  });
});
