import { loadConfig } from '@app/config';
import { KafkaBatch, OutboundMessage } from '@app/kafka';
import { PipelineMetrics } from '@app/observability';
import { Registry } from 'prom-client';
import { eventEnricherEnvSchema } from '../config/event-enricher.config';
import { InMemoryEnricherStateRepository } from '../enricher-state/in-memory-enricher-state.repository';
import { EnrichBatchService } from './enrich-batch.service';
import { EnrichmentService } from './enrichment.service';

const config = loadConfig(eventEnricherEnvSchema, {});

function view(eventId: string, offset: number) {
  const event = {
    eventId,
    type: 'view.started',
    schemaVersion: 1,
    occurredAt: Date.now(),
    data: { userId: 'user-1', streamId: 'stream-1' },
  };
  return {
    offset: String(offset),
    key: null,
    value: Buffer.from(JSON.stringify(event)),
    headers: {},
    timestamp: 0,
  };
}

/** One raw partition batch with a transaction that keeps what was sent into it. */
function batch(messages: ReturnType<typeof view>[], sent: OutboundMessage[]): KafkaBatch {
  return {
    topic: config.topics.names.raw,
    partition: 0,
    messages,
    highWatermark: String(messages.length),
    heartbeat: () => Promise.resolve(),
    transaction: { send: (_topic, records) => void sent.push(...records) },
  };
}

describe('EnrichBatchService deduplication', () => {
  it('counts each duplicate drop once, also when its batch is redelivered', async () => {
    const metrics = new PipelineMetrics(new Registry());
    const service = new EnrichBatchService(
      config,
      new InMemoryEnricherStateRepository(),
      new EnrichmentService(),
      metrics,
    );
    const deduplicated = async () =>
      (await metrics.deduplicated.get()).values.find((v) => v.labels.type === 'view.started')?.value ?? 0;
    // e1 at offset 0, a client duplicate of it at 1, e2 at 2
    const messages = [view('e1', 0), view('e1', 1), view('e2', 2)];

    const sent: OutboundMessage[] = [];
    expect(await service.handle(batch(messages, sent))).toMatchObject({ enriched: 2, duplicates: 1 });
    expect(await deduplicated()).toBe(1);

    // redelivered (the transaction aborted, or a crash/rebalance before its commit): the same
    // outcome, the drop not counted again
    const again: OutboundMessage[] = [];
    expect(await service.handle(batch(messages, again))).toMatchObject({ enriched: 2, duplicates: 1 });
    expect(again.map((r) => r.key)).toEqual(sent.map((r) => r.key));
    expect(await deduplicated()).toBe(1);

    // a further copy of e1 at a new position is a new drop
    await service.handle(batch([view('e1', 3)], []));
    expect(await deduplicated()).toBe(2);
  });
});

describe('EnrichBatchService lifecycle feed', () => {
  it("sends the batch's starts and ends to the lifecycle topic in its transaction, keyed by stream", async () => {
    const service = new EnrichBatchService(
      config,
      new InMemoryEnricherStateRepository(),
      new EnrichmentService(),
      new PipelineMetrics(new Registry()),
    );
    const now = Date.now();
    const raw = (offset: number, type: string, data: object) => ({
      ...view(`l${offset}`, offset),
      value: Buffer.from(
        JSON.stringify({ eventId: `l${offset}`, type, schemaVersion: 1, occurredAt: now + offset, data }),
      ),
    });
    const messages = [
      raw(0, 'stream.started', {
        streamId: 'st-1',
        sellerId: 'se-1',
        title: 'show',
        category: 'art',
        tags: [],
        language: 'en',
      }),
      view('v1', 1),
      raw(2, 'stream.ended', { streamId: 'st-1' }),
    ];
    const sent: { topic: string; records: OutboundMessage[] }[] = [];
    await service.handle({
      ...batch(messages, []),
      transaction: { send: (topic, records) => void sent.push({ topic, records }) },
    });
    const lifecycle = sent.filter((s) => s.topic === config.topics.names.streamLifecycle);
    expect(lifecycle).toHaveLength(1);
    expect(lifecycle[0].records.map((r) => [r.key, JSON.parse(String(r.value)) as unknown])).toEqual([
      ['st-1', expect.objectContaining({ live: true, startedAt: now, sellerId: 'se-1', eventId: 'l0' })],
      [
        'st-1',
        expect.objectContaining({ live: false, startedAt: now, endedAt: now + 2, endReason: 'ended' }),
      ],
    ]);
    // the enriched records still carry all three events
    const enriched = sent.filter((s) => s.topic === config.topics.names.enriched).flatMap((s) => s.records);
    expect(enriched).toHaveLength(3);
  });
});
