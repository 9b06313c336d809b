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

describe('EnrichedBatchHandler applies large batches in chunks', () => {
  const feeds: ChangeFeedPublisher[] = [];
  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((feed) => feed.close()));
  });

  /** A handler on its own in-memory state; `failOnApply` makes that apply call (1-based) throw once. */
  const setup = (applyMaxEvents?: number, failOnApply?: number) => {
    const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
    const feed = new ChangeFeedPublisher(repo, new RecordingProducer(), {
      enrichedTopic: 'enriched',
      metricsTopic: 'metrics',
      watermarksTopic: 'wm',
      coalesceMs: 250,
      source: 'metrics-aggregator',
    });
    feeds.push(feed);
    let calls = 0;
    const applyBatch = repo.applyBatch.bind(repo);
    const applies = jest.spyOn(repo, 'applyBatch').mockImplementation((update) => {
      calls++;
      if (calls === failOnApply) return Promise.reject(new Error('redis went away'));
      return applyBatch(update);
    });
    const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
    const handler = new EnrichedBatchHandler(applier, repo, new RecordingProducer(), feed, {
      topics,
      groupId: 'g',
      applyMaxEvents,
    });
    return { repo, handler, applies };
  };

  // one stream, viewers coming and going, chats and bids: 2 + 3 x 8 + 1 = 27 events
  const f = new EnrichedEventFactory('chunks');
  const events: EnrichedEvent[] = [f.started('s1', T0)];
  for (let i = 0; i < 8; i++) {
    const userId = `u${i % 3}`;
    events.push(f.event('view.started', T0 + 1_000 * i + 1, { userId, streamId: 's1' }));
    events.push(f.event('chat.message', T0 + 1_000 * i + 2, { userId, streamId: 's1' }));
    events.push(f.event('view.ended', T0 + 1_000 * i + 3, { userId, streamId: 's1' }));
  }
  events.push(f.event('chat.message', T0 + 9_000, { userId: 'u9', streamId: 's1' }));
  events.push(f.event('stream.ended', T0 + 10_000, { streamId: 's1' }));
  const batch = (): KafkaBatch => ({
    topic: 'enriched',
    partition: 0,
    highWatermark: String(events.length),
    heartbeat: () => Promise.resolve(),
    messages: events.map((event, i) => ({
      offset: String(i),
      key: null,
      value: Buffer.from(JSON.stringify(event)),
      headers: {},
      timestamp: event.occurredAt,
    })),
  });
  /** Every number to 12 significant digits (sums grouped differently differ in the last bits). */
  const rounded = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
      typeof v === 'number' ? Number(v.toPrecision(12)) : v,
    ) as unknown;
  // peakViewers is sampled where a batch (so also a chunk) ends, like at any Kafka batch boundary:
  // compared apart
  const stateOf = async (repo: InMemoryAggregateStateRepository) => ({
    streams: (await repo.readStreams(['s1'])).map((s) => s && { ...s, peakViewers: 0 }),
    peakViewers: (await repo.readStreams(['s1']))[0]?.peakViewers,
    users: await Promise.all(['u0', 'u1', 'u2', 'u9'].map((u) => repo.readUser(u))),
    progress: await repo.readProgress('enriched', 0),
  });

  it('makes one apply call per chunk and ends in the state of a single call', async () => {
    const whole = setup();
    await whole.handler.handle(batch());
    expect(whole.applies).toHaveBeenCalledTimes(1);
    const chunked = setup(4);
    await chunked.handler.handle(batch());
    expect(chunked.applies).toHaveBeenCalledTimes(Math.ceil(events.length / 4));
    const expected = await stateOf(whole.repo);
    expect(expected.streams[0]).toMatchObject({ chats: 9, live: false });
    // decayed sums and affinities are summed per chunk: equal up to float rounding
    expect(rounded(await stateOf(chunked.repo))).toEqual(rounded({ ...expected, peakViewers: 1 }));
    expect(expected.peakViewers).toBe(0);
  });

  it('applies every event once when the batch fails between two chunks and is redelivered', async () => {
    const whole = setup();
    await whole.handler.handle(batch());
    const chunked = setup(5, 3);
    await expect(chunked.handler.handle(batch())).rejects.toThrow('redis went away');
    expect((await chunked.repo.readProgress('enriched', 0)).offset).toBe('9');
    await chunked.handler.handle(batch());
    const expected = await stateOf(whole.repo);
    expect(rounded(await stateOf(chunked.repo))).toEqual(rounded({ ...expected, peakViewers: 1 }));
  });
});
