import { loadConfig } from '@app/config';
import { InProcessVectorStore, clusteredSpace, seededRandom } from '@app/vector-store';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { recommenderApiEnvSchema } from '../apps/recommender-api/src/config/recommender-api.config';
import { streamIndexStoreOptions } from '../apps/recommender-api/src/feed/recommender-features.module';
import { recommenderFastifyOptions } from '../apps/recommender-api/src/http/fastify.options';
import { LiveMetricsCache } from '../apps/recommender-api/src/live-metrics/live-metrics.cache';
import { RecommenderApiModule } from '../apps/recommender-api/src/recommender-api.module';
import { streamSnapshot } from '../apps/recommender-api/src/test-support/stream-snapshot.factory';

/**
 * Not a speed figure: a fingerprint of the feed pages, to prove that a change of the feed's code
 * path (candidates, ranking, cache, user state, serialiser) leaves every page byte for byte the same:
 *   npm run bench -- feed-pages --redis redis://127.0.0.1:6379 --users-prefix bench-feed-lead: \
 *     [--users 200] [--pages-out pages.json]
 * Run it on the tree before and after the change and compare `sha256` (or diff the --pages-out files).
 * It reads (never writes) the users that bench/feed.bench.ts keeps under --users-prefix (100k users
 * over 10k streams), builds the same 10k streams (some ended, some unknown to the metrics cache,
 * varied metrics), and asks, through Fastify (inject: routing, validation, the feed's JSON writer),
 * for each of `users` users: page 1, page 2 (its cursor), a filtered page (category, language,
 * excluded sellers) and a cold user's page with Accept-Language. The clock is frozen (Date.now) so
 * freshness and impression decay are the same in both runs; requestId, generatedAt and asOf (time
 * and randomness, not ranking) are dropped from each page.
 */
const FROZEN_NOW = 1_790_000_000_000;
const CATEGORIES = Array.from({ length: 24 }, (_, i) => `cat-${i}`);
const LANGUAGES = ['en', 'en', 'en', 'de', 'fr', 'es'];
const STREAMS = 10_000;
const USERS_IN_REDIS = 100_000;
const DIM = 128;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

/** As feed.bench.ts' streams, with metrics that vary per stream. */
function streamOf(i: number) {
  const sellers = STREAMS / 5;
  const r = seededRandom(i + 1);
  const viewers = Math.floor(r() * 500);
  return {
    id: `st${i}`,
    sellerId: `s${i % sellers}`,
    category: CATEGORIES[i % CATEGORIES.length],
    language: LANGUAGES[i % LANGUAGES.length],
    viewers,
    startedAt: FROZEN_NOW - Math.floor(r() * 3 * 3_600_000),
    viewerVelocity: Math.round((r() - 0.4) * 40),
    engagementScore: viewers / 10 + Math.floor(r() * 20),
  };
}

async function boot(redisUrl: string, prefix: string): Promise<NestFastifyApplication> {
  // a long deadline: a loaded machine must not turn a page degraded in one run and not the other
  const env = {
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '0',
    FEED_DEADLINE_MS: '5000',
  };
  const settings = loadConfig(recommenderApiEnvSchema, env).recommender;
  const store = new InProcessVectorStore({ dimension: DIM, ...streamIndexStoreOptions(settings) });
  const vectors = clusteredSpace({ dimension: DIM, clusters: 64, spread: 0.05, seed: 7 }).sample(STREAMS, 11);
  await store.upsert(
    vectors.map((vector, i) => {
      const s = streamOf(i);
      const payload = { live: true, sellerId: s.sellerId, category: s.category, language: s.language };
      return { id: s.id, vector, payload: { ...payload, title: `show ${i}`, startedAt: s.startedAt } };
    }),
  );
  const app = await NestFactory.create<NestFastifyApplication>(
    RecommenderApiModule.forRoot(env, { streamIndex: { store, ready: () => true }, changeFeeds: false }),
    new FastifyAdapter(recommenderFastifyOptions()),
    { logger: false },
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const cache = app.get(LiveMetricsCache);
  for (let i = 0; i < STREAMS; i++) {
    if (i % 89 === 0) continue; // in the index, unknown to the metrics cache (payload path)
    const s = streamOf(i);
    const { id, ...fields } = s;
    cache.apply(streamSnapshot(id, fields));
    if (i % 97 === 0) cache.apply(streamSnapshot(id, { ...fields, live: false })); // ended, still indexed
  }
  return app;
}

interface Page {
  items: { streamId: string }[];
  nextCursor: string | null;
  [key: string]: unknown;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const prefix = arg(args, 'users-prefix', '');
  const users = Number(arg(args, 'users', '200'));
  const pagesOut = arg(args, 'pages-out', '');
  const redis = new Redis(redisUrl, { keyPrefix: prefix });
  const written = await redis.exists(`users-written:${USERS_IN_REDIS}:${STREAMS}:${DIM}`);
  redis.disconnect();
  if (!prefix || written === 0)
    throw new Error('--users-prefix must name the users kept by `npm run bench -- feed --users-prefix`');
  const realNow = Date.now;
  Date.now = () => FROZEN_NOW; // freshness and impression decay: the same instant in both runs
  const app = await boot(redisUrl, prefix);
  const lines: string[] = [];
  const get = async (url: string, headers: Record<string, string> = {}): Promise<Page> => {
    const response = await app.inject({ method: 'GET', url, headers });
    const body = response.body;
    const page = JSON.parse(body) as Page;
    // the response's own bytes, minus the fields that carry time or randomness
    lines.push(
      `${response.statusCode} ${url} ${body
        .replace(/"requestId":"[^"]*",?/, '')
        .replace(/"generatedAt":\d+,?/, '')
        .replace(/"asOf":(null|\d+),?/, '')}`,
    );
    return page;
  };
  try {
    // the Redis client connects after boot: until then feeds answer degraded (no user state)
    for (let tries = 0; tries < 50; tries++) {
      const probe = await app.inject({ method: 'GET', url: '/v1/users/u0/feed?limit=1' });
      if (!(JSON.parse(probe.body) as Page).degraded) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (let n = 0; n < users; n++) {
      const u = (n * 7_919) % USERS_IN_REDIS;
      const first = await get(`/v1/users/u${u}/feed?limit=20`);
      if (first.nextCursor) await get(`/v1/users/u${u}/feed?limit=20&cursor=${first.nextCursor}`);
      const category = CATEGORIES[n % CATEGORIES.length];
      const language = LANGUAGES[n % LANGUAGES.length];
      const excluded = first.items
        .slice(0, 3)
        .map((item) => `s${Number(item.streamId.slice(2)) % (STREAMS / 5)}`)
        .join(',');
      const filter = n % 2 === 0 ? `category=${category}` : `language=${language}`;
      await get(`/v1/users/u${u}/feed?limit=10&${filter}&excludeSellerIds=${excluded}`);
      await get(`/v1/users/new-${n}/feed?limit=20`, { 'accept-language': `${language}-XX,en;q=0.5` });
    }
  } finally {
    Date.now = realNow;
    await app.close();
  }
  const text = `${lines.join('\n')}\n`;
  if (pagesOut) writeFileSync(pagesOut, text);
  return {
    users,
    requests: lines.length,
    non200: lines.filter((line) => !line.startsWith('200 ')).length,
    degraded: lines.filter((line) => line.includes('"degraded":true')).length,
    items: lines.reduce((sum, line) => sum + (line.match(/"streamId"/g)?.length ?? 0), 0),
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}
