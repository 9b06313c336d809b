import { EventDataMap, EventType, NowcastEvent, partitionKeyOf, toTenThousandths } from '@app/contracts';
import { createKafka } from '@app/kafka';
import { Mesh, sumSamples } from '@app/mesh';
import { MarketplaceSimulator } from '@app/simulator';
import { freshPipelineTopics, testInfra, uniqueName } from '@app/testing';
import { Admin, Partitioners, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

/** The lifetime totals of GET /v1/streams/{id}. */
interface Lifetime {
  chats: number;
  bids: number;
  purchases: number;
  gmvByCurrency: Record<string, number>;
  giveawayEntries: number;
  uniqueViewers: number;
}

interface StreamBody {
  streamId: string;
  live: boolean;
  sellerId: string;
  lifetime: Lifetime;
}

interface FeedBody {
  items: { streamId: string; sellerId: string }[];
}

/** Every 10th event of the log is produced twice (same eventId). */
const DUPLICATE_EVERY = 10;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as T };
}

function envelope<T extends EventType>(type: T, data: EventDataMap[T]): NowcastEvent {
  return { eventId: randomUUID(), type, schemaVersion: 1, occurredAt: Date.now(), data } as NowcastEvent;
}

/** JSON with object keys sorted, so that equal values give equal strings. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The true lifetime totals per stream, folded here from the produced log (first copy of each eventId). */
function expectedTotals(events: readonly NowcastEvent[]): Map<string, Lifetime> {
  const seen = new Set<string>();
  const totals = new Map<string, Lifetime & { viewers: Set<string> }>();
  const of = (streamId: string) => {
    let t = totals.get(streamId);
    if (!t) {
      t = {
        chats: 0,
        bids: 0,
        purchases: 0,
        gmvByCurrency: {},
        giveawayEntries: 0,
        uniqueViewers: 0,
        viewers: new Set(),
      };
      totals.set(streamId, t);
    }
    return t;
  };
  for (const e of events) {
    if (seen.has(e.eventId)) continue;
    seen.add(e.eventId);
    if ('streamId' in e.data) of(e.data.streamId);
    if (e.type === 'chat.message') of(e.data.streamId).chats++;
    else if (e.type === 'bid.placed') of(e.data.streamId).bids++;
    else if (e.type === 'giveaway.entered') of(e.data.streamId).giveawayEntries++;
    else if (e.type === 'view.started') of(e.data.streamId).viewers.add(e.data.userId);
    else if (e.type === 'purchase.completed') {
      const t = of(e.data.streamId);
      t.purchases++;
      t.gmvByCurrency[e.data.currency] =
        (t.gmvByCurrency[e.data.currency] ?? 0) + toTenThousandths(e.data.amount);
    }
  }
  return new Map([...totals].map(([id, { viewers, ...t }]) => [id, { ...t, uniqueViewers: viewers.size }]));
}

/**
 * The mesh as it runs in production: the four services as separate processes (the built
 * bundles), on the real Kafka and Redis, checked from outside over HTTP and Kafka only.
 */
describe('the mesh: four service processes on real Kafka and Redis', () => {
  const infra = testInfra();
  const boot = new AbortController();
  let starting: Promise<Mesh> | undefined;
  let mesh: Mesh;
  let producer: Producer;
  let admin: Admin;
  let rawTopic: string;
  const groups = {
    enricher: uniqueName('mesh-enricher'),
    aggregator: uniqueName('mesh-aggregator'),
    writer: uniqueName('mesh-writer'),
  };

  const produce = async (events: readonly NowcastEvent[]): Promise<void> => {
    for (let start = 0; start < events.length; start += 2_000) {
      await producer.send({
        topic: rawTopic,
        acks: -1,
        messages: events
          .slice(start, start + 2_000)
          .map((e) => ({ key: partitionKeyOf(e), value: JSON.stringify(e) })),
      });
    }
  };
  const stream = (id: string) => getJson<StreamBody>(`${mesh.recommenderUrl}/v1/streams/${id}`);
  const feed = async (userId: string): Promise<string[]> => {
    const { status, body } = await getJson<FeedBody>(
      `${mesh.recommenderUrl}/v1/users/${userId}/feed?limit=100`,
    );
    expect(status).toBe(200);
    return body.items.map((item) => item.streamId);
  };

  beforeAll(async () => {
    const topics = await freshPipelineTopics('mesh', 3);
    rawTopic = topics.TOPIC_RAW;
    producer = createKafka({ brokers: infra.kafkaBrokers }, 'mesh-test').producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    admin = createKafka({ brokers: infra.kafkaBrokers }, 'mesh-test').admin();
    await admin.connect();
    const startedAt = Date.now();
    starting = Mesh.start({
      root: join(__dirname, '..'),
      kafkaBrokers: infra.kafkaBrokers,
      redisUrl: infra.redisUrl,
      runtime: 'dist',
      ports: 'free',
      parentEnv: { PATH: process.env.PATH },
      env: {
        ...topics,
        REDIS_KEY_PREFIX: `${uniqueName('mesh')}:`,
        LOG_LEVEL: 'warn',
        ENRICHER_GROUP_ID: groups.enricher,
        ENRICHER_TRANSACTIONAL_ID_PREFIX: uniqueName('mesh-enricher-tx'),
        AGGREGATOR_GROUP_ID: groups.aggregator,
        EMBEDDING_GROUP_ID: groups.writer,
      },
      // no lease expiries while the test runs (the log's silently dead shows would end mid-test,
      // and the sweeper's stream.expired would land in the raw topic after the produced log)
      serviceEnv: { 'metrics-aggregator': { STREAM_LEASE_MS: '600000' } },
      bootstrapTopics: false,
      signal: boot.signal,
    });
    mesh = await starting;
    process.stdout.write(`mesh ready in ${Date.now() - startedAt} ms\n`);
  }, 90_000);

  afterAll(async () => {
    // a beforeAll that timed out leaves Mesh.start running: abort it (it stops what it started)
    boot.abort(new Error('test finished'));
    const started = await starting?.catch(() => undefined);
    await started?.stop(5_000);
    await producer?.disconnect();
    await admin?.disconnect();
  }, 30_000);

  it('puts a followed seller new stream in the follower feed, and takes it out once ended', async () => {
    const userId = uniqueName('fan');
    const sellerId = uniqueName('seller');
    const streamId = uniqueName('stream');
    // the follow through the HTTP ingress, the show's events straight into the raw topic
    const follow = await fetch(`${mesh.ingressUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope('seller.followed', { userId, sellerId })),
    });
    expect(follow.status).toBe(202);
    expect(await feed(userId)).not.toContain(streamId);

    const startedAt = Date.now();
    await produce([
      envelope('stream.started', {
        streamId,
        sellerId,
        title: 'Vintage watches: Seiko and Omega under 200',
        category: 'watches',
        tags: ['vintage'],
        language: 'en',
      }),
    ]);
    await until('the stream in the follower feed', async () =>
      (await feed(userId)).includes(streamId) ? true : undefined,
    );
    const shownMs = Date.now() - startedAt;
    expect((await stream(streamId)).body).toMatchObject({ streamId, sellerId, live: true });

    const endedAt = Date.now();
    await produce([envelope('stream.ended', { streamId })]);
    await until('the stream out of the feed', async () =>
      (await feed(userId)).includes(streamId) ? undefined : true,
    );
    const goneMs = Date.now() - endedAt;
    const ended = await stream(streamId);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ streamId, live: false });
    process.stdout.write(`started -> in the feed ${shownMs} ms; ended -> out of the feed ${goneMs} ms\n`);
  });

  it('keeps exact lifetime totals when events are produced twice (same eventId)', async () => {
    // a deterministic simulated marketplace, ~50 s of event time ending a few seconds ago
    const simulator = new MarketplaceSimulator({ seed: 7, startTimeMs: Date.now() - 55_000, sellers: 200 });
    const log = simulator.take(10_000);
    // duplicates: half right behind their original (one batch), half re-sent after everything
    const duplicates = log.filter((_, i) => i % DUPLICATE_EVERY === 3);
    const early = new Set(duplicates.filter((_, i) => i % 2 === 0));
    const first = log.flatMap((e) => (early.has(e) ? [e, e] : [e]));
    const late = duplicates.filter((e) => !early.has(e));
    const expected = expectedTotals([...first, ...late]);
    const sum = (key: 'chats' | 'bids' | 'purchases') =>
      [...expected.values()].reduce((total, t) => total + t[key], 0);
    // the log exercises what is counted
    expect(sum('chats')).toBeGreaterThan(1_000);
    expect(sum('bids')).toBeGreaterThan(10);
    expect(sum('purchases')).toBeGreaterThan(0);

    const producedAt = Date.now();
    await produce(first);
    await produce(late);
    const sentMs = Date.now() - producedAt;
    // every produced event was handled by the enricher: its group committed up to the end of the log
    const ends = await admin.fetchTopicOffsets(rawTopic);
    await until('the enricher to commit past every produced event', async () => {
      const [{ partitions }] = await admin.fetchOffsets({ groupId: groups.enricher, topics: [rawTopic] });
      const committed = new Map(partitions.map((p) => [p.partition, BigInt(p.offset)]));
      return ends.every((end) => (committed.get(end.partition) ?? -1n) >= BigInt(end.high))
        ? true
        : undefined;
    });
    // as duplicates (the counter counts a retried batch's duplicates again: at least once each)
    const metrics = await fetch(`${mesh.ingressUrl}/metrics`).then((r) => r.text());
    expect(sumSamples(metrics, 'nowcast_events_deduplicated_total')).toBeGreaterThanOrEqual(
      duplicates.length,
    );
    const dedupMs = Date.now() - producedAt;
    // ... and the recommender serves the totals of every event counted once
    const ids = [...expected.keys()];
    const read = async (): Promise<Map<string, Lifetime>> => {
      const bodies = await Promise.all(ids.map((id) => stream(id)));
      return new Map(bodies.map(({ body }, i) => [ids[i], body.lifetime]));
    };
    // compared as canonical JSON: jest's realm and undici's make equal objects of different prototypes
    const sameAsExpected = (actual: Map<string, Lifetime>) =>
      ids.every((id) => canonicalJson(actual.get(id)) === canonicalJson(expected.get(id)));
    await until('the totals to catch up', async () =>
      (await read().then(sameAsExpected)) ? true : undefined,
    ).catch(
      () => undefined, // the assertion below shows the difference
    );
    process.stdout.write(
      `${first.length + late.length} events (${duplicates.length} twice) sent in ${sentMs} ms, ` +
        `handled by the enricher by ${dedupMs} ms, totals exact by ${Date.now() - producedAt} ms\n`,
    );
    expect(await read()).toEqual(expected);
  });

  it('stops cleanly: every service exits 0 on SIGTERM', async () => {
    const statuses = await mesh.stop();
    expect(statuses.size).toBe(4);
    for (const [name, status] of statuses) expect({ name, code: status.code }).toEqual({ name, code: 0 });
  });
});
