import { EnrichedEvent, parseStreamMetricsSnapshot } from '@app/contracts';
import { KafkaBatch } from '@app/kafka';
import { DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { InMemoryAggregateStateRepository } from '../state/in-memory-aggregate-state.repository';
import { EnrichedBatchHandler } from '../stream-metrics/enriched-batch.handler';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { RecordingProducer } from '@app/testing';
import { ChangeFeedPublisher } from './change-feed.publisher';

const T0 = Date.UTC(2026, 10, 26, 12);
const topics = {
  enriched: 'enriched',
  raw: 'raw',
  deadLetter: 'dlq',
  metricsStreams: 'metrics',
  stateFollows: 'follows',
  watermarks: 'wm',
};

/** One aggregator instance over a shared (surviving) state: its feed is lost when it "dies". */
function instance(repo: InMemoryAggregateStateRepository, coalesceMs: number) {
  const producer = new RecordingProducer();
  const feed = new ChangeFeedPublisher(repo, producer, {
    enrichedTopic: 'enriched',
    metricsTopic: 'metrics',
    watermarksTopic: 'wm',
    coalesceMs,
    minCoalesceMs: coalesceMs,
    source: 'metrics-aggregator',
  });
  const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
  const handler = new EnrichedBatchHandler(applier, repo, producer, feed, { topics, groupId: 'g' });
  return { producer, feed, handler };
}

function batch(partition: number, first: number, events: EnrichedEvent[]): KafkaBatch {
  return {
    topic: 'enriched',
    partition,
    highWatermark: String(first + events.length),
    heartbeat: () => Promise.resolve(),
    messages: events.map((event, i) => ({
      offset: String(first + i),
      key: null,
      value: Buffer.from(JSON.stringify(event)),
      headers: {},
      timestamp: event.occurredAt,
    })),
  };
}

describe('pending change-feed recovery', () => {
  it('republishes, after a crash between apply and flush, the applied streams of an assigned partition', async () => {
    const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
    const f = new EnrichedEventFactory();
    const first = instance(repo, 60_000);
    await first.handler.handle(
      batch(0, 0, [
        f.started('s1', T0),
        f.event('chat.message', T0 + 10, { userId: 'u1', streamId: 's1' }),
        f.event('view.started', T0 + 20, { userId: 'u2', streamId: 's1' }),
      ]),
    );
    await first.feed.flush();
    expect(first.producer.values('metrics')).toHaveLength(1);
    // a busy stream (coalesced for 60 s) ends; the instance dies before its next flush
    await first.handler.handle(
      batch(0, 3, [
        f.event('chat.message', T0 + 30, { userId: 'u2', streamId: 's1' }),
        f.event('stream.ended', T0 + 40, { streamId: 's1' }),
      ]),
    );
    await first.handler.handle(
      batch(1, 0, [f.started('s2', T0), f.event('chat.message', T0 + 5, { userId: 'u', streamId: 's2' })]),
    );
    expect(await repo.readPending('enriched', 0)).toEqual([{ partition: 0, streamId: 's1', offset: 4 }]);

    const second = instance(repo, 60_000);
    await second.handler.partitionsAssigned([0]); // partition 1 belongs to another member
    await second.feed.close();
    const records = second.producer.values('metrics').map((v) => parseStreamMetricsSnapshot(v));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      streamId: 's1',
      live: false,
      endReason: 'ended',
      endedAt: T0 + 40,
      lifetime: { chats: 2, uniqueViewers: 1 },
    });
    expect(await repo.readPending('enriched', 0)).toEqual([]);
    expect(await repo.readPending('enriched', 1)).toEqual([{ partition: 1, streamId: 's2', offset: 1 }]);
    // the partition's watermark is published again once its pending streams are out
    expect((second.producer.values('wm') as { eventTime: number }[]).at(-1)?.eventTime).toBe(T0 + 40);

    // a member taking partition 1 later recovers it before (or without) any new batch
    const third = instance(repo, 60_000);
    await third.handler.handle(
      batch(1, 2, [f.event('chat.message', T0 + 50, { userId: 'u', streamId: 's3' })]),
    );
    await third.feed.close();
    expect(third.producer.values('metrics').map((v) => parseStreamMetricsSnapshot(v).streamId)).toEqual([
      's2',
    ]);
    expect(await repo.readPending('enriched', 1)).toEqual([]);
  });
});
