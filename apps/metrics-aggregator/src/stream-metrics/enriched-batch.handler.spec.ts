import { EnrichedEvent } from '@app/contracts';
import { KafkaBatch } from '@app/kafka';
import { parseTraceparent } from '@app/observability';
import { Logger } from '@nestjs/common';
import { DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { ChangeFeedPublisher } from '../change-feed/change-feed.publisher';
import { InMemoryAggregateStateRepository } from '../state/in-memory-aggregate-state.repository';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { RecordingProducer } from '@app/testing';
import { EnrichedBatchHandler } from './enriched-batch.handler';

const T0 = Date.UTC(2026, 10, 26, 12);
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SAMPLED = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const UNSAMPLED = `00-${TRACE_ID}-00f067aa0ba902b7-00`;
const topics = {
  enriched: 'enriched',
  raw: 'raw',
  deadLetter: 'dlq',
  metricsStreams: 'metrics',
  stateFollows: 'follows',
  watermarks: 'wm',
};

describe('EnrichedBatchHandler traces', () => {
  let producer: RecordingProducer;
  let feed: ChangeFeedPublisher;
  let handler: EnrichedBatchHandler;
  let offset: number;
  let log: jest.SpyInstance<void, [message: unknown, ...rest: unknown[]]>;

  beforeEach(() => {
    const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
    producer = new RecordingProducer();
    feed = new ChangeFeedPublisher(repo, producer, {
      enrichedTopic: 'enriched',
      metricsTopic: 'metrics',
      watermarksTopic: 'wm',
      coalesceMs: 250,
      source: 'metrics-aggregator',
    });
    const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
    handler = new EnrichedBatchHandler(applier, repo, producer, feed, { topics, groupId: 'g' });
    offset = 0;
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    log.mockRestore();
    await feed.close();
  });

  const batch = (items: [EnrichedEvent, string | undefined][]): KafkaBatch => ({
    topic: 'enriched',
    partition: 0,
    highWatermark: String(offset + items.length),
    heartbeat: () => Promise.resolve(),
    messages: items.map(([event, traceparent]) => ({
      offset: String(offset++),
      key: null,
      value: Buffer.from(JSON.stringify(event)),
      headers: traceparent ? { traceparent } : {},
      timestamp: event.occurredAt,
    })),
  });

  it('logs sampled events with a child span and forwards it on the lifecycle record they cause', async () => {
    const f = new EnrichedEventFactory();
    await handler.handle(
      batch([
        [f.started('s1', T0), SAMPLED],
        [f.event('chat.message', T0 + 1, { userId: 'u1', streamId: 's1' }), UNSAMPLED],
        [f.event('chat.message', T0 + 2, { userId: 'u2', streamId: 's1' }), undefined],
      ]),
    );
    await feed.flush();
    expect(log).toHaveBeenCalledTimes(1);
    const [[fields]] = log.mock.calls as [[Record<string, unknown>]];
    expect(fields).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: '00f067aa0ba902b7',
      type: 'stream.started',
    });
    const [record] = producer.sent.filter((s) => s.topic === 'metrics');
    const forwarded = parseTraceparent(String(record.message.headers?.traceparent));
    expect(forwarded).toEqual({ traceId: TRACE_ID, spanId: fields.spanId, flags: 1 });
    expect(forwarded?.spanId).not.toBe('00f067aa0ba902b7');
  });

  it('logs nothing and forwards nothing for unsampled or non-lifecycle events', async () => {
    const f = new EnrichedEventFactory();
    await handler.handle(batch([[f.started('s1', T0), UNSAMPLED]]));
    await feed.flush();
    await handler.handle(
      batch([[f.event('chat.message', T0 + 1, { userId: 'u1', streamId: 's1' }), SAMPLED]]),
    );
    await feed.flush();
    expect(log).toHaveBeenCalledTimes(1);
    const records = producer.sent.filter((s) => s.topic === 'metrics');
    expect(records).toHaveLength(2);
    expect(records.map((r) => r.message.headers)).toEqual([undefined, undefined]);
  });
});
