import { EnrichedEvent, NowcastEvent, partitionKeyOf, toTenThousandths } from '@app/contracts';
import { BatchingProducer, createKafka, ensureTopics } from '@app/kafka';
import { MarketplaceSimulator } from '@app/simulator';
import { uniqueName } from '@app/testing';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { AggregateStateRepository } from '../state/aggregate-state.repository';
import { EnrichedEventFactory } from './enriched-events.factory';
import { sendChunked } from '../aggregation/send-chunked';

export async function createAggregatorTopics(brokers: string[], partitions = 3): Promise<AggregatorTopics> {
  const topics: AggregatorTopics = {
    enriched: uniqueName('agg-enriched'),
    raw: uniqueName('agg-raw'),
    deadLetter: uniqueName('agg-dlq'),
    metricsStreams: uniqueName('agg-metrics'),
    stateFollows: uniqueName('agg-follows'),
    watermarks: uniqueName('agg-watermarks'),
  };
  await ensureTopics({ brokers }, [
    { name: topics.enriched, partitions },
    { name: topics.raw, partitions },
    { name: topics.deadLetter, partitions: 1 },
    { name: topics.metricsStreams, partitions, compacted: true },
    { name: topics.stateFollows, partitions, compacted: true },
    { name: topics.watermarks, partitions: 1, compacted: true },
  ]);
  return topics;
}

/**
 * A simulator log, trivially enriched (stream context as of its start), with events moved out of
 * order by up to `jitterMs` of event time (well within the lateness).
 */
export function simulatedEnrichedLog(
  count: number,
  seed: number,
  startTimeMs: number,
  jitterMs = 0,
): EnrichedEvent[] {
  const sim = new MarketplaceSimulator({ seed, startTimeMs, ratePerSec: 400 });
  const factory = new EnrichedEventFactory();
  const events = sim.take(count).map((e) => factory.enrich(e));
  if (jitterMs <= 0) return events;
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return events
    .map((event) => ({ event, at: event.occurredAt + random() * jitterMs }))
    .sort((a, b) => a.at - b.at)
    .map(({ event }) => event);
}

export async function produceEvents(
  brokers: string[],
  topic: string,
  events: (NowcastEvent | EnrichedEvent)[],
): Promise<void> {
  const producer = new BatchingProducer({ brokers, clientId: 'agg-test-producer' });
  try {
    await sendChunked(
      producer,
      topic,
      events.map((event) => ({ key: partitionKeyOf(event), value: JSON.stringify(event) })),
    );
  } finally {
    await producer.close();
  }
}

export interface ReferenceTotals {
  chats: number;
  bids: number;
  purchases: number;
  giveaways: number;
  gmv: Record<string, number>;
  uniqueViewers: number;
}

/** The true lifetime totals per stream, folded independently of the service. */
export function referenceTotals(events: EnrichedEvent[]): Map<string, ReferenceTotals> {
  const totals = new Map<string, ReferenceTotals & { viewers: Set<string> }>();
  const of = (id: string) => {
    let t = totals.get(id);
    if (!t) {
      t = { chats: 0, bids: 0, purchases: 0, giveaways: 0, gmv: {}, uniqueViewers: 0, viewers: new Set() };
      totals.set(id, t);
    }
    return t;
  };
  for (const e of events) {
    if (e.type === 'chat.message') of(e.data.streamId).chats++;
    else if (e.type === 'bid.placed') of(e.data.streamId).bids++;
    else if (e.type === 'giveaway.entered') of(e.data.streamId).giveaways++;
    else if (e.type === 'view.started') of(e.data.streamId).viewers.add(e.data.userId);
    else if (e.type === 'purchase.completed') {
      const t = of(e.data.streamId);
      t.purchases++;
      t.gmv[e.data.currency] = (t.gmv[e.data.currency] ?? 0) + toTenThousandths(e.data.amount);
    }
  }
  return new Map([...totals].map(([id, { viewers, ...t }]) => [id, { ...t, uniqueViewers: viewers.size }]));
}

/** The stored lifetime totals of the given streams, in the reference's shape. */
export async function storedTotals(
  repo: AggregateStateRepository,
  ids: string[],
): Promise<Map<string, ReferenceTotals>> {
  const states = await repo.readStreams(ids);
  return new Map(
    ids.map((id, i) => {
      const s = states[i];
      return [
        id,
        {
          chats: s?.chats ?? 0,
          bids: s?.bids ?? 0,
          purchases: s?.purchases ?? 0,
          giveaways: s?.giveaways ?? 0,
          gmv: s?.gmv ?? {},
          uniqueViewers: s?.uniqueViewers ?? 0,
        },
      ];
    }),
  );
}

/** Last offset of every non-empty partition of the topic. */
export async function lastOffsets(brokers: string[], topic: string): Promise<Map<number, string>> {
  const admin = createKafka({ brokers }, 'admin').admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(
      offsets.filter((o) => o.high !== o.low).map((o) => [o.partition, String(BigInt(o.high) - 1n)]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the stored offsets reached `targets` (non-transactional input: high - 1). */
export async function waitForApplied(
  repo: AggregateStateRepository,
  topic: string,
  targets: Map<number, string>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let done = true;
    for (const [partition, offset] of targets) {
      const progress = await repo.readProgress(topic, partition);
      if (progress.offset === null || BigInt(progress.offset) < BigInt(offset)) done = false;
    }
    if (done) return;
    if (Date.now() > deadline) throw new Error('the aggregator did not apply everything in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Applied share of the targets (0..1). */
export async function appliedShare(
  repo: AggregateStateRepository,
  topic: string,
  targets: Map<number, string>,
): Promise<number> {
  let applied = 0n;
  let total = 0n;
  for (const [partition, offset] of targets) {
    const progress = await repo.readProgress(topic, partition);
    total += BigInt(offset) + 1n;
    if (progress.offset !== null) applied += BigInt(progress.offset) + 1n;
  }
  return total === 0n ? 1 : Number((applied * 1000n) / total) / 1000;
}
