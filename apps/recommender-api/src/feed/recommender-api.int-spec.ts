import { Logger } from '@nestjs/common';
import { EnvSource } from '@app/config';
import type { StreamLifecycle } from '@app/contracts';
import { createKafka } from '@app/kafka';
import { testInfra, uniqueName } from '@app/testing';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import type { Consumer } from 'kafkajs';
import { createServer } from 'node:net';
import { MAX_ID_LENGTH, MAX_PARAM_LENGTH } from '../http/fastify.options';
import { UpstreamFixture, axisVector, bootRecommender } from '../test-support/recommender-app.harness';
import { streamSnapshot } from '../test-support/stream-snapshot.factory';

const DIM = 16;
const READ = { 'x-api-key': 'r1' };
const ADMIN = { 'x-api-key': 'a1' };

interface FeedBody {
  items: {
    streamId: string;
    sellerId: string;
    category: string;
    score: number;
    reasons: Record<string, number>;
  }[];
  asOf: number | null;
  requestId: string;
  rankingProfile: string;
  nextCursor: string | null;
  stale: boolean;
  degraded: boolean;
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('recommender-api over HTTP (real Kafka and Redis)', () => {
  const infra = testInfra();
  const prefix = `${uniqueName('rec')}:`;
  const topics = {
    metrics: uniqueName('metrics'),
    lifecycle: uniqueName('lifecycle'),
    lifecycleFast: uniqueName('lifecycle-fast'),
    embeddings: uniqueName('emb'),
    watermarks: uniqueName('wm'),
    raw: uniqueName('raw'),
  };
  const env: EnvSource = {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    TOPIC_METRICS_STREAMS: topics.metrics,
    TOPIC_STREAM_LIFECYCLE: topics.lifecycle,
    TOPIC_STREAM_LIFECYCLE_FAST: topics.lifecycleFast,
    TOPIC_EMBEDDINGS_STREAMS: topics.embeddings,
    TOPIC_WATERMARKS: topics.watermarks,
    TOPIC_RAW: topics.raw,
    API_KEYS: 'read:r1,r2;admin:a1',
    EMBEDDING_DIMENSION: String(DIM),
    RATE_LIMIT_MAX: '100000',
    FEED_MAX_PER_SELLER: '1',
    // Bounds on waits for Kafka round trips (produce -> reader -> applied) far above what they take
    // (the default minAsOf wait is 250 ms; 5 s is its maximum), so that a loaded machine cannot turn
    // them into a stale or unreflected answer.
    ERASURE_WAIT_MS: '20000',
    FEED_MIN_AS_OF_WAIT_MS: '5000',
  };
  const redis = new Redis(infra.redisUrl, { keyPrefix: prefix });
  const upstream = new UpstreamFixture(infra.kafkaBrokers, topics, redis, DIM);
  let app: NestFastifyApplication;

  const get = async (url: string, headers: Record<string, string> = READ) => {
    const r = await app.inject({ method: 'GET', url, headers });
    return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown>, headers: r.headers };
  };
  const feed = async (url: string, headers: Record<string, string> = READ) =>
    (await get(url, headers)).body as unknown as FeedBody;

  beforeAll(async () => {
    await upstream.start();
    // 12 live streams: 4 categories x 2 languages, sellers s0..s11, vectors on distinct axes
    for (let i = 0; i < 12; i++) {
      await upstream.stream(
        streamSnapshot(`st${i}`, {
          sellerId: `s${i}`,
          category: ['cards', 'coins', 'comics', 'watches'][i % 4],
          language: i < 8 ? 'en' : 'de',
          title: i % 4 === 3 ? `vintage watches ${i}` : `show ${i}`,
          engagementScore: 100 - i,
          viewers: 100 - i,
          startedAt: Date.now() - 60 * 60_000,
        }),
        axisVector(DIM, i),
      );
    }
    await upstream.watermark('metrics-aggregator', 5_000);
    await upstream.watermark('embedding-writer', 4_000);
    await upstream.user('loyal', { vector: axisVector(DIM, 0), sellers: { s7: 20 }, follows: [] });
    app = await bootRecommender(env);
    await until(async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200);
  });

  afterAll(async () => {
    await app?.close();
    await upstream.stop();
    redis.disconnect();
  });

  describe('auth', () => {
    it('401 without or with an unknown key, 403 for the wrong scope, every key of a scope works', async () => {
      expect((await get('/v1/streams/trending', {})).status).toBe(401);
      expect((await get('/v1/streams/trending', { 'x-api-key': 'nope' })).status).toBe(401);
      expect((await get('/v1/streams/trending', ADMIN)).status).toBe(403);
      expect((await get('/v1/streams/trending', { 'x-api-key': 'r2' })).status).toBe(200);
      const del = await app.inject({ method: 'DELETE', url: '/v1/users/u1', headers: READ });
      expect(del.statusCode).toBe(403);
    });

    it('health stays unauthenticated', async () => {
      expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    });
  });

  describe('streams', () => {
    it('GET /v1/streams/{id}: live, seller, metrics and lifetime totals; 404 unknown; 400 bad id', async () => {
      const ok = await get('/v1/streams/st1');
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ streamId: 'st1', live: true, sellerId: 's1', category: 'coins' });
      expect(ok.body.lifetime).toMatchObject({ uniqueViewers: 20 });
      expect((await get('/v1/streams/nope')).status).toBe(404);
      const bad = await get('/v1/streams/bad%20id');
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toContain('streamId');
    });

    it('trending by engagement, filtered; limit validated', async () => {
      const all = await get('/v1/streams/trending?limit=3');
      expect((all.body.items as { streamId: string }[]).map((i) => i.streamId)).toEqual([
        'st0',
        'st1',
        'st2',
      ]);
      const de = await get('/v1/streams/trending?language=de&category=cards');
      expect((de.body.items as { streamId: string }[]).map((i) => i.streamId)).toEqual(['st8']);
      const bad = await get('/v1/streams/trending?limit=0');
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toContain('limit');
      const unknown = await get('/v1/streams/trending?foo=1');
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body.message)).toContain('foo');
    });

    it('similar: live streams other than itself; 404 unknown', async () => {
      const similar = await get('/v1/streams/st0/similar?limit=5');
      expect(similar.status).toBe(200);
      const ids = (similar.body.items as { streamId: string }[]).map((i) => i.streamId);
      expect(ids).toHaveLength(5);
      expect(ids).not.toContain('st0');
      expect((await get('/v1/streams/nope/similar')).status).toBe(404);
    });

    it('search: q required, answers live streams', async () => {
      const found = await get('/v1/streams/search?q=vintage%20watches&limit=3');
      expect(found.status).toBe(200);
      expect((found.body.items as unknown[]).length).toBeGreaterThan(0);
      const missing = await get('/v1/streams/search');
      expect(missing.status).toBe(400);
      expect(JSON.stringify(missing.body.message)).toContain('q');
    });
  });

  describe('feed', () => {
    it('ranks the seller a loyal user keeps coming back to first, explains it, echoes ids', async () => {
      const response = await get('/v1/users/loyal/feed?limit=5');
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      const body = response.body as unknown as FeedBody;
      expect(body.items[0].streamId).toBe('st7');
      expect(body.items[0].reasons.repeat).toBeGreaterThan(0);
      expect(body.items).toHaveLength(5);
      expect(body.rankingProfile).toBe('balanced');
      expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.asOf).toBe(4_000);
      expect(body.degraded).toBe(false);
      expect(body.stale).toBe(false);
    });

    it('applies category, language and excluded sellers', async () => {
      const body = await feed('/v1/users/loyal/feed?category=coins&language=en&excludeSellerIds=s1');
      expect(body.items.map((i) => i.streamId)).toEqual(['st5']);
    });

    it('pages without repeats until the live set is exhausted', async () => {
      const seen: string[] = [];
      let cursor: string | null = '';
      for (let page = 0; page < 10 && cursor !== null; page++) {
        const body: FeedBody = await feed(`/v1/users/loyal/feed?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...body.items.map((i) => i.streamId));
        cursor = body.nextCursor;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(new Set(seen).size).toBe(12);
    });

    it('gives a brand-new user trending in their language', async () => {
      const body = await feed('/v1/users/newcomer/feed?limit=4', {
        ...READ,
        'accept-language': 'de-DE,de;q=0.9',
      });
      expect(body.items.map((i) => i.streamId)).toEqual(['st8', 'st9', 'st10', 'st11']);
    });

    it('400 naming the field for bad parameters, never 5xx', async () => {
      const cases: [string, string][] = [
        ['/v1/users/u1/feed?limit=1000', 'limit'],
        ['/v1/users/u1/feed?limit=abc', 'limit'],
        ['/v1/users/u1/feed?cursor=%21%21', 'cursor'],
        ['/v1/users/u1/feed?language=ENGLISH', 'language'],
        ['/v1/users/u1/feed?minAsOf=-5', 'minAsOf'],
        ['/v1/users/u%20x/feed', 'userId'],
      ];
      const warn = jest.spyOn(Logger, 'warn');
      for (const [url, field] of cases) {
        const r = await get(url);
        expect({ url, status: r.status }).toEqual({ url, status: 400 });
        expect(JSON.stringify(r.body.message)).toContain(field);
        expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      }
      // the error bodies are JSON as typed: Nest has nothing to re-type (it warns when it must)
      expect(warn.mock.calls.filter(([message]) => String(message).includes('Content-Type'))).toEqual([]);
      warn.mockRestore();
      expect((await get('/v1/nope')).status).toBe(404);
    });

    it('ids up to 128 characters are served; longer ones are 400 or 414, never 5xx', async () => {
      const longest = 'u'.repeat(MAX_ID_LENGTH);
      expect((await get(`/v1/users/${longest}/feed`)).status).toBe(200);
      expect((await get(`/v1/streams/${'s'.repeat(MAX_ID_LENGTH)}`)).status).toBe(404); // unknown
      const over = await get(`/v1/users/${longest}x/feed`);
      expect(over.status).toBe(400);
      expect(JSON.stringify(over.body.message)).toContain('userId');
      // past the router's limit Fastify answers 414 URI Too Long
      expect((await get(`/v1/users/${'u'.repeat(MAX_PARAM_LENGTH + 1)}/feed`)).status).toBe(414);
      expect((await get(`/v1/streams/${'s'.repeat(10_000)}`)).status).toBe(414);
    });

    it('reflects an ended stream at once (read-your-writes of the change feed)', async () => {
      await upstream.stream(
        streamSnapshot('st7', { sellerId: 's7', live: false, endReason: 'ended' }),
        axisVector(DIM, 7),
      );
      await until(
        async () => !(await feed('/v1/users/loyal/feed?limit=12')).items.some((i) => i.streamId === 'st7'),
        20_000,
      );
      expect((await get('/v1/streams/st7')).body).toMatchObject({ live: false, endReason: 'ended' });
    });

    it("shows a follower a start from the lifecycle feed before any metrics; its end holds back the run's late metrics", async () => {
      await upstream.user('fan', { follows: ['s-new'] });
      const inFeed = async () =>
        (await feed('/v1/users/fan/feed?limit=20')).items.find((i) => i.streamId === 'st-new');
      const startedAt = Date.now() - 1_000;
      const start = { schemaVersion: 1, streamId: 'st-new', eventId: 'e-start', startedAt } as const;
      await upstream.lifecycle({
        ...start,
        live: true,
        sellerId: 's-new',
        title: 'just started',
        category: 'cards',
        language: 'en',
      });
      await until(async () => (await inFeed()) !== undefined, 20_000);
      expect((await inFeed())?.reasons.follow).toBeGreaterThan(0);
      expect((await get('/v1/streams/st-new')).body).toMatchObject({ live: true, metrics: { viewers: 0 } });

      await upstream.lifecycle({
        ...start,
        eventId: 'e-end',
        live: false,
        endedAt: Date.now(),
        endReason: 'ended',
      });
      await until(async () => (await inFeed()) === undefined, 20_000);
      // the aggregator's snapshot of the same run, read after the end: held back. A control stream's
      // snapshot behind it on the same partition tells when the reader has passed it.
      await upstream.metrics(streamSnapshot('st-new', { sellerId: 's-new', startedAt }), 0);
      await upstream.metrics(streamSnapshot('st-control', { sellerId: 's-control' }), 0);
      await until(async () => (await get('/v1/streams/st-control')).status === 200, 20_000);
      expect(await inFeed()).toBeUndefined();
      expect((await get('/v1/streams/st-new')).body).toMatchObject({ live: false, endReason: 'ended' });
      const control = streamSnapshot('st-control', {
        sellerId: 's-control',
        live: false,
        endReason: 'ended',
      });
      await upstream.metrics(control, 0);
      await until(async () => (await get('/v1/streams/st-control')).body.live === false, 20_000);
    });

    it("shows a start from the enricher's fast lane; the lane's end, which names no run, keeps the lifecycle feed's late copy of the start from reviving it", async () => {
      await upstream.user('quick', { follows: ['s-quick'] });
      const inFeed = async () =>
        (await feed('/v1/users/quick/feed?limit=20')).items.find((i) => i.streamId === 'st-quick');
      const startedAt = Date.now() - 1_000;
      const start: StreamLifecycle = {
        schemaVersion: 1,
        streamId: 'st-quick',
        eventId: 'e-quick-start',
        startedAt,
        live: true,
        sellerId: 's-quick',
        title: 'quick',
        category: 'cards',
        language: 'en',
      };
      await upstream.lifecycleFast(start);
      await until(async () => (await inFeed()) !== undefined, 20_000);
      expect((await inFeed())?.reasons.follow).toBeGreaterThan(0);

      await upstream.lifecycleFast({
        schemaVersion: 1,
        streamId: 'st-quick',
        eventId: 'e-quick-end',
        live: false,
        endedAt: Date.now(),
        endReason: 'ended',
      });
      await until(async () => (await inFeed()) === undefined, 20_000);
      // the transaction round's copy of the start, after the lane's end; a control stream's start
      // behind it on the same partition tells when the reader has passed it
      await upstream.lifecycle(start, 0);
      await upstream.lifecycle({ ...start, streamId: 'st-quick-control', eventId: 'e-quick-control' }, 0);
      await until(async () => (await get('/v1/streams/st-quick-control')).status === 200, 20_000);
      expect(await inFeed()).toBeUndefined();
      expect((await get('/v1/streams/st-quick')).body).toMatchObject({ live: false, endReason: 'ended' });
    });

    it("shows a start while the enricher's transaction is still open; a fenced enricher's aborted copy of it after its end does not bring it back", async () => {
      await upstream.user('early', { follows: ['s-early'] });
      const inFeed = async () =>
        (await feed('/v1/users/early/feed?limit=20')).items.find((i) => i.streamId === 'st-early');
      const startedAt = Date.now() - 1_000;
      const start: StreamLifecycle = {
        schemaVersion: 1,
        streamId: 'st-early',
        eventId: 'e-early-start',
        startedAt,
        live: true,
        sellerId: 's-early',
        title: 'early',
        category: 'cards',
        language: 'en',
      };
      // every record of the stream on one partition: their order is the feed's order
      const open = await upstream.lifecycleInTransaction([start], 0);
      await until(async () => (await inFeed()) !== undefined, 20_000);
      await open.commit();

      await upstream.lifecycle(
        { ...start, eventId: 'e-early-end', live: false, endedAt: Date.now(), endReason: 'ended' },
        0,
      );
      await until(async () => (await inFeed()) === undefined, 20_000);
      const zombie = await upstream.lifecycleInTransaction([start], 0);
      await zombie.abort();
      // a control stream's start behind the aborted copy tells when the reader has passed it
      await upstream.lifecycle({ ...start, streamId: 'st-early-control', eventId: 'e-control' }, 0);
      await until(async () => (await get('/v1/streams/st-early-control')).status === 200, 20_000);
      expect(await inFeed()).toBeUndefined();
      expect((await get('/v1/streams/st-early')).body).toMatchObject({ live: false, endReason: 'ended' });
      await upstream.lifecycle(
        {
          ...start,
          streamId: 'st-early-control',
          eventId: 'e-control-end',
          live: false,
          endedAt: Date.now(),
          endReason: 'ended',
        },
        0,
      );
      await until(async () => (await get('/v1/streams/st-early-control')).body.live === false, 20_000);
    });

    it('minAsOf: waits for the watermark, else answers stale within the bound', async () => {
      const later = feed('/v1/users/loyal/feed?minAsOf=6000');
      await upstream.watermark('embedding-writer', 7_000);
      await upstream.watermark('metrics-aggregator', 7_000);
      const body = await later;
      expect(body.stale).toBe(false);
      expect(body.asOf).toBeGreaterThanOrEqual(6_000);
      // the bound itself, on an instance with the default (250 ms) wait
      const bounded = await bootRecommender({ ...env, FEED_MIN_AS_OF_WAIT_MS: '250' });
      try {
        const ask = () =>
          bounded.inject({
            method: 'GET',
            url: `/v1/users/loyal/feed?minAsOf=${Date.now() + 60_000}`,
            headers: READ,
          });
        await until(async () => (await ask()).statusCode === 200);
        const stale = JSON.parse((await ask()).body) as FeedBody;
        expect(stale.stale).toBe(true);
      } finally {
        await bounded.close();
      }
    });
  });

  describe('erasure', () => {
    let consumer: Consumer;

    afterAll(async () => {
      await consumer?.disconnect();
    });

    it('produces user.erased and answers 200 once the user state is gone', async () => {
      await upstream.user('leaver', { vector: axisVector(DIM, 3), sellers: { s3: 5 }, follows: ['s3'] });
      // stands in for the aggregator and the writer: erases the user's keys on user.erased
      consumer = createKafka({ brokers: infra.kafkaBrokers }, 't').consumer({
        groupId: uniqueName('erasure'),
      });
      await consumer.connect();
      await consumer.subscribe({ topic: topics.raw, fromBeginning: true });
      const erased: string[] = [];
      await consumer.run({
        eachMessage: async ({ message }) => {
          const event = JSON.parse(message.value!.toString()) as { type: string; data: { userId: string } };
          if (event.type !== 'user.erased') return;
          erased.push(event.data.userId);
          const u = event.data.userId;
          await redis.del(
            `emb:user:${u}`,
            `agg:u:${u}:sellers`,
            `agg:u:${u}:seller-counts`,
            `agg:u:${u}:follows`,
          );
        },
      });
      const r = await app.inject({ method: 'DELETE', url: '/v1/users/leaver', headers: ADMIN });
      expect(r.statusCode).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ userId: 'leaver', reflected: true });
      expect(erased).toContain('leaver');
      expect(await redis.exists('emb:user:leaver')).toBe(0);
    });
  });

  describe('rate limit and degraded mode', () => {
    it('429 with Retry-After once a key exceeds its limit; other keys unaffected', async () => {
      const limited = await bootRecommender(
        { ...env, RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000' },
        { changeFeeds: false },
      );
      try {
        const hit = () => limited.inject({ method: 'GET', url: '/v1/streams/trending', headers: READ });
        expect((await hit()).statusCode).toBe(200);
        expect((await hit()).statusCode).toBe(200);
        const third = await hit();
        expect(third.statusCode).toBe(429);
        expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        const other = await limited.inject({
          method: 'GET',
          url: '/v1/streams/trending',
          headers: { 'x-api-key': 'r2' },
        });
        expect(other.statusCode).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it('answers from what it has with degraded: true when Redis is down', async () => {
      const down = await bootRecommender({ ...env, REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
      try {
        // read to the end of both feeds: the streams the tests above started and ended are gone again
        const live = async (id: string) =>
          (await down.inject({ method: 'GET', url: `/v1/streams/${id}`, headers: READ })).json<{
            live?: boolean;
          }>().live;
        await until(
          async () =>
            (await live('st0')) === true &&
            (await live('st-new')) === false &&
            (await live('st-control')) === false,
        );
        const r = await down.inject({ method: 'GET', url: '/v1/users/loyal/feed?limit=3', headers: READ });
        expect(r.statusCode).toBe(200);
        const body = JSON.parse(r.body) as FeedBody;
        expect(body.degraded).toBe(true);
        expect(body.items.map((i) => i.streamId)).toEqual(['st0', 'st1', 'st2']);
      } finally {
        await down.close();
      }
    });
  });
});
