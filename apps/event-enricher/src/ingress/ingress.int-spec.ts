import { EnrichedEvent } from '@app/contracts';
import { createKafka } from '@app/kafka';
import { HttpSink, MarketplaceSimulator } from '@app/simulator';
import { randomUUID } from 'node:crypto';
import {
  RunningEnricher,
  TopicCollector,
  eventually,
  isolatedEnricherEnv,
  startEnricher,
} from '../runtime/enricher-test.harness';

const view = (streamId: string, extra: object = {}) => ({
  eventId: randomUUID(),
  type: 'view.started',
  schemaVersion: 1,
  occurredAt: Date.now(),
  data: { userId: 'user-1', streamId, ...extra },
});

describe('POST /v1/events against real Kafka', () => {
  let enricher: RunningEnricher;
  let enriched: TopicCollector;

  const post = (body: string, key?: string, contentType = 'application/json') =>
    fetch(`${enricher.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(key ? { 'x-api-key': key } : {}) },
      body,
    });

  async function rawMessages(): Promise<number> {
    const admin = createKafka({ brokers: [...enricher.config.kafka.brokers] }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(enricher.config.topics.names.raw);
      return offsets.reduce((sum, o) => sum + Number(o.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  beforeAll(async () => {
    enricher = await startEnricher(
      isolatedEnricherEnv({
        API_KEYS: 'ingest:k1,k2;admin:a1;read:r1',
        INGRESS_BODY_LIMIT_BYTES: '65536',
        INGRESS_RATE_LIMIT_MAX: '20',
        // 20 per hour: no token comes back while the test's 21 requests run, however slow the machine
        // (the default 60 s window refills one every 3 s)
        INGRESS_RATE_LIMIT_WINDOW_MS: '3600000',
      }),
    );
    enriched = await TopicCollector.start(
      [...enricher.config.kafka.brokers],
      enricher.config.topics.names.enriched,
    );
  });

  afterAll(async () => {
    await enriched?.stop();
    await enricher?.close();
  });

  it('accepts a batch once the broker acked it, and the enricher passes it on', async () => {
    const events = [view('s-1'), view('s-2'), view('s-1')];
    const response = await post(JSON.stringify(events), 'k1');
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 3 });
    await eventually(() => enriched.records.length >= 3, 30_000, 'enriched records');
    expect(
      enriched
        .json<EnrichedEvent>()
        .map((e) => e.eventId)
        .sort(),
    ).toEqual(events.map((e) => e.eventId).sort());
    const single = await post(JSON.stringify(view('s-3')), 'a1');
    expect(single.status).toBe(202);
  });

  it('rejects a bad batch with per-item errors and produces none of it', async () => {
    const before = await rawMessages();
    const response = await post(
      JSON.stringify([view('s-1'), view('s-1', { userId: 'bad id' }), view('s-2')]),
      'k1',
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { index: number; issues: { path: string }[] }[] };
    expect(body.errors).toEqual([
      expect.objectContaining({ index: 1, issues: [expect.objectContaining({ path: 'data.userId' })] }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await rawMessages()).toBe(before);
  });

  it('answers bad requests with 4xx, never 5xx', async () => {
    expect((await post('{"eventId": ', 'k1')).status).toBe(400);
    expect((await post('null', 'k1')).status).toBe(400);
    expect((await post(JSON.stringify([view('s')]), undefined)).status).toBe(401);
    expect((await post(JSON.stringify([view('s')]), 'wrong')).status).toBe(401);
    expect((await post(JSON.stringify([view('s')]), 'r1')).status).toBe(403);
    const expired = { ...view('s'), type: 'stream.expired', data: { streamId: 's' } };
    expect((await post(JSON.stringify([expired]), 'a1')).status).toBe(400);
    const erased = { ...view('s'), type: 'user.erased', data: { userId: 'user-1' } };
    expect((await post(JSON.stringify([erased]), 'k1')).status).toBe(403);
    const big = JSON.stringify(Array.from({ length: 400 }, () => view('s', { pad: 'x'.repeat(200) })));
    expect((await post(big, 'a1')).status).toBe(413);
    const text = (await post('hello', 'a1', 'text/plain')).status;
    expect(text >= 400 && text < 500).toBe(true);
  });

  it('takes simulator traffic through the HTTP sink', async () => {
    const before = enriched.records.length;
    const simulator = new MarketplaceSimulator({
      seed: 3,
      startTimeMs: Date.now() - 60_000,
      ratePerSec: 500,
    });
    const sink = new HttpSink({ baseUrl: enricher.url, apiKey: 'k1', maxBatch: 200 });
    const events = simulator.take(1_200);
    await sink.write(events);
    await sink.close();
    await eventually(() => enriched.records.length >= before + 1_200, 30_000, 'simulated events enriched');
    const seen = new Set(enriched.json<EnrichedEvent>().map((e) => e.eventId));
    expect(events.every((e) => seen.has(e.eventId))).toBe(true);
  });

  it('limits each key separately and says when to retry', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await post('[]', 'k2')).status);
    expect(statuses).toEqual([...Array<number>(20).fill(400), 429]);
    const limited = await post('[]', 'k2');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
