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
