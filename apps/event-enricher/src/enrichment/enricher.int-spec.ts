import { EnrichedEvent, LIFECYCLE_FEED_RETENTION, parseStreamLifecycle } from '@app/contracts';
import { EVENT_TOPIC_RETENTION_MS } from '@app/config';
import { BatchingProducer, OutboundMessage, createKafka } from '@app/kafka';
import { ConfigResourceTypes } from 'kafkajs';
import { PipelineMetrics } from '@app/observability';
import { randomUUID } from 'node:crypto';
import {
  RunningEnricher,
  TopicCollector,
  eventually,
  isolatedEnricherEnv,
  startEnricher,
} from '../runtime/enricher-test.harness';

const envelope = (type: string, data: object, occurredAt: number, eventId: string = randomUUID()) => ({
  eventId,
  type,
  schemaVersion: 1,
  occurredAt,
  data,
});
const record = (
  key: string,
  value: object | string | Buffer,
  headers?: Record<string, string>,
): OutboundMessage => ({
  key,
  value: Buffer.isBuffer(value) || typeof value === 'string' ? value : JSON.stringify(value),
  ...(headers ? { headers } : {}),
});

describe('event-enricher against real Kafka and Redis', () => {
  let enricher: RunningEnricher;
  let producer: BatchingProducer;
  let enriched: TopicCollector;
  let dlq: TopicCollector;
  let lifecycle: TopicCollector;

  beforeAll(async () => {
    enricher = await startEnricher(isolatedEnricherEnv());
    const { brokers } = enricher.config.kafka;
    producer = new BatchingProducer({ brokers: [...brokers] });
    enriched = await TopicCollector.start([...brokers], enricher.config.topics.names.enriched);
    dlq = await TopicCollector.start([...brokers], enricher.config.topics.names.deadLetter);
    lifecycle = await TopicCollector.start([...brokers], enricher.config.topics.names.streamLifecycle);
  });

  afterAll(async () => {
    await Promise.all([enriched?.stop(), dlq?.stop(), lifecycle?.stop(), producer?.close()]);
    await enricher?.close();
  });

  it('enriches valid events in per-stream order, drops duplicates and dead-letters each kind of poison', async () => {
    const raw = enricher.config.topics.names.raw;
    const t0 = Date.now() - 60_000;
    const streams = ['s-a', 's-b', 's-c'];
    const messages: OutboundMessage[] = [];
    const expected: string[] = [];
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    for (const [i, streamId] of streams.entries()) {
      const start = envelope(
        'stream.started',
        {
          streamId,
          sellerId: `seller-${i}`,
          title: 'Show',
          category: 'sneakers',
          tags: ['x'],
          language: 'en',
        },
        t0,
      );
      messages.push(record(streamId, start));
      expected.push(start.eventId);
    }
    messages.push(
      record('user-1', envelope('seller.followed', { userId: 'user-1', sellerId: 'seller-1' }, t0 + 1)),
    );
    const duplicated = envelope('view.started', { userId: 'user-1', streamId: 's-b' }, t0 + 10);
    for (let n = 0; n < 60; n++) {
      const streamId = streams[n % 3];
      const event = envelope('chat.message', { userId: `user-${n}`, streamId }, t0 + 100 + n);
      messages.push(record(streamId, event, n === 0 ? { traceparent } : undefined));
      expected.push(event.eventId);
      if (n === 30) {
        messages.push(record('s-b', duplicated));
        expected.push(duplicated.eventId);
        messages.push(record('s-a', Buffer.from('{"eventId": oops'), { 'x-client': 'c1' }));
        messages.push(record('s-a', envelope('view.started', { userId: 'user 1', streamId: 's-a' }, t0)));
        messages.push(record('s-b', envelope('stream.exploded', { streamId: 's-b' }, t0)));
        const huge = envelope(
          'chat.message',
          { userId: 'user-1', streamId: 's-c', pad: 'x'.repeat(70 * 1024) },
          t0,
        );
        messages.push(record('s-c', huge));
      }
      if (n === 40) messages.push(record('s-b', duplicated)); // client retry: same eventId, later offset
    }
    await producer.send(raw, messages);

    await eventually(
      () => enriched.records.length >= expected.length + 1 && dlq.records.length >= 4,
      60_000,
      'records',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything extra would show up now
    const events = enriched.json<EnrichedEvent>();
    const ids = events.map((e) => e.eventId);
    expect(ids.filter((id) => id === duplicated.eventId)).toHaveLength(1);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(expected.length + 1); // + the follow

    for (const streamId of streams) {
      const perStream = enriched.records
        .filter((r) => r.key?.toString() === streamId)
        .map((r) => JSON.parse(r.value!.toString()) as EnrichedEvent);
      expect(perStream[0].type).toBe('stream.started');
      const times = perStream.filter((e) => e.type === 'chat.message').map((e) => e.occurredAt);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    const chat = events.find((e) => e.type === 'chat.message' && e.data.streamId === 's-b');
    expect(chat?.enrichment.stream).toEqual({
      sellerId: 'seller-1',
      category: 'sneakers',
      language: 'en',
      live: true,
      ageMs: expect.any(Number) as number,
    });
    expect(chat?.enrichment.ingestedAt).toBeGreaterThan(t0);
    const view = events.find((e) => e.eventId === duplicated.eventId);
    expect(view?.enrichment.followsSeller).toBe(true);
    // sampled: passed on as a child span of the enricher (same trace, new span id)
    const traced = enriched.records.filter((r) => r.headers.traceparent !== undefined);
    expect(traced).toHaveLength(1);
    expect(traced[0].headers.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(traced[0].headers.traceparent).not.toBe(traceparent);

    const reasons = dlq.records.map((r) => r.headers['x-error-reason']).sort();
    expect(reasons).toEqual(['invalid-field', 'not-json', 'too-large', 'unknown-type']);
    const notJson = dlq.records.find((r) => r.headers['x-error-reason'] === 'not-json')!;
    expect(notJson.value?.toString()).toBe('{"eventId": oops');
    expect(notJson.key?.toString()).toBe('s-a');
    expect(notJson.headers).toMatchObject({
      'x-client': 'c1',
      'x-error-class': 'InvalidMessageError',
      'x-source-topic': raw,
      'x-consumer-group': enricher.config.enricher.groupId,
    });
    expect(notJson.headers['x-source-partition']).toMatch(/^\d+$/);
    expect(notJson.headers['x-source-offset']).toMatch(/^\d+$/);
    expect(Date.parse(notJson.headers['x-failed-at'] ?? '')).toBeGreaterThan(t0);
    const invalid = dlq.records.find((r) => r.headers['x-error-reason'] === 'invalid-field')!;
    expect(invalid.headers['x-error-message']).toContain('data.userId');

    const metrics = enricher.app.get(PipelineMetrics);
    const dedup = await metrics.deduplicated.get();
    expect(dedup.values.find((v) => v.labels.type === 'view.started')?.value).toBe(1);
  });

  it('writes each start and end, once, to the lifecycle topic (its last day) in the same transaction', async () => {
    const raw = enricher.config.topics.names.raw;
    const t0 = Date.now() - 30_000;
    const streamId = 's-life';
    const start = envelope(
      'stream.started',
      { streamId, sellerId: 'seller-life', title: 'Live now', category: 'cards', tags: [], language: 'en' },
      t0,
    );
    const end = envelope('stream.ended', { streamId }, t0 + 5_000);
    await producer.send(raw, [
      record(streamId, start),
      record(streamId, envelope('chat.message', { userId: 'user-1', streamId }, t0 + 1_000)),
      record(streamId, end),
      record(streamId, end), // a client retry of the end: dropped as a duplicate
    ]);
    await eventually(
      () => enriched.records.some((r) => r.value?.toString().includes(end.eventId)),
      60_000,
      'enriched end',
    );
    const ofStream = () => lifecycle.records.filter((r) => r.key?.toString() === streamId);
    await eventually(() => ofStream().length >= 2, 60_000, 'lifecycle records');
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // anything extra would show up now
    expect(ofStream().map((r) => parseStreamLifecycle(r.value!))).toEqual([
      {
        schemaVersion: 1,
        streamId,
        eventId: start.eventId,
        live: true,
        startedAt: t0,
        sellerId: 'seller-life',
        title: 'Live now',
        category: 'cards',
        language: 'en',
      },
      {
        schemaVersion: 1,
        streamId,
        eventId: end.eventId,
        live: false,
        startedAt: t0,
        endedAt: t0 + 5_000,
        endReason: 'ended',
      },
    ]);
    const admin = createKafka({ brokers: [...enricher.config.kafka.brokers] }, 'lifecycle-config').admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: enricher.config.topics.names.streamLifecycle }],
        includeSynonyms: false,
      });
      const config = new Map(described.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
      expect(config.get('cleanup.policy')).toBe('delete');
      expect(config.get('retention.ms')).toBe(String(LIFECYCLE_FEED_RETENTION.retentionMs));
    } finally {
      await admin.disconnect();
    }
  });

  it('has its topics configured as the topic bootstrap configures them', async () => {
    const { names } = enricher.config.topics;
    const admin = createKafka({ brokers: [...enricher.config.kafka.brokers] }, 'topic-configs').admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        resources: [names.raw, names.enriched, names.deadLetter].map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
        })),
        includeSynonyms: false,
      });
      const configs = described.resources.map((resource) => {
        const config = new Map(resource.configEntries.map((e) => [e.configName, e.configValue]));
        return [resource.resourceName, config.get('retention.ms'), config.get('max.message.bytes')];
      });
      const eightMiB = String(8 * 1024 * 1024);
      expect(configs).toEqual([
        [names.raw, String(EVENT_TOPIC_RETENTION_MS), eightMiB],
        [names.enriched, String(EVENT_TOPIC_RETENTION_MS), eightMiB],
        [names.deadLetter, String(14 * 24 * 3600_000), eightMiB],
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it('reports ready with its consumer joined', async () => {
    const response = await fetch(`${enricher.url}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('enricher-consumer');
  });
});
