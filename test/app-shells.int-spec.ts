import { createServer } from 'node:net';
import { DynamicModule } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { EnvSource } from '@app/config';
import { ShutdownState } from '@app/health';
import { freshPipelineTopics, testInfra, uniqueName } from '@app/testing';
import { EmbeddingWriterModule } from '../apps/embedding-writer/src/embedding-writer.module';
import { EventEnricherModule } from '../apps/event-enricher/src/event-enricher.module';
import { MetricsAggregatorModule } from '../apps/metrics-aggregator/src/metrics-aggregator.module';
import { RecommenderApiModule } from '../apps/recommender-api/src/recommender-api.module';
import { setupSwagger } from '../apps/recommender-api/src/swagger.setup';

interface HealthBody {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
}

const APPS: [string, (env: EnvSource) => DynamicModule][] = [
  ['event-enricher', (env) => EventEnricherModule.forRoot(env)],
  ['metrics-aggregator', (env) => MetricsAggregatorModule.forRoot(env)],
  ['embedding-writer', (env) => EmbeddingWriterModule.forRoot(env)],
  ['recommender-api', (env) => RecommenderApiModule.forRoot(env)],
];

/** A port nothing listens on: bind one, note it, release it. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function boot(root: DynamicModule, swagger = false): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [root] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  if (swagger) setupSwagger(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

async function get(app: NestFastifyApplication, url: string): Promise<{ status: number; body: string }> {
  const response = await app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.body };
}

/**
 * /health/ready of an app with one dependency down: 503 naming it down every time, until the other
 * dependency is reported up. The first probe of a dependency connects a new client within the
 * 800 ms check timeout, which a loaded machine can miss; the next probe is its retry.
 */
async function readyWithOneDown(
  app: NestFastifyApplication,
  down: 'redis' | 'kafka',
  up: 'redis' | 'kafka',
): Promise<HealthBody> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await get(app, '/health/ready');
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.body) as HealthBody;
    expect(body.error?.[down].status).toBe('down');
    if (body.info?.[up]?.status === 'up' || Date.now() > deadline) return body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.each(APPS)('%s shell', (name, forRoot) => {
  const infra = testInfra();
  // Fresh pipeline topics: readiness of the readers of change feeds means "caught up with them".
  let topics: Record<string, string> = {};
  beforeAll(async () => {
    topics = await freshPipelineTopics(name);
  });
  const env = (): EnvSource => ({
    ...topics,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: `${uniqueName(name)}:`,
    LOG_LEVEL: 'silent',
  });

  describe('with Redis and Kafka up', () => {
    let app: NestFastifyApplication;

    beforeAll(async () => {
      app = await boot(forRoot(env()), name === 'recommender-api');
    });

    afterAll(async () => {
      await app.close();
    });

    it('is live', async () => {
      const live = await get(app, '/health/live');
      expect(live.status).toBe(200);
      expect((JSON.parse(live.body) as HealthBody).info?.process.status).toBe('up');
    });

    it('is ready with Redis and Kafka up', async () => {
      // Readers of change feeds (recommender-api) are ready once caught up, shortly after boot.
      let ready = await get(app, '/health/ready');
      for (let attempt = 0; ready.status !== 200 && attempt < 100; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        ready = await get(app, '/health/ready');
      }
      expect(ready.status).toBe(200);
      const body = JSON.parse(ready.body) as HealthBody;
      expect(body.info?.redis.status).toBe('up');
      expect(body.info?.kafka.status).toBe('up');
    });

    it('exposes process metrics and the HTTP histogram by route template', async () => {
      await get(app, '/health/live');
      await get(app, `/no/such/${uniqueName('path')}`);
      const metrics = await get(app, '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toContain('process_cpu_user_seconds_total');
      expect(metrics.body).toContain('nodejs_eventloop_lag_seconds');
      expect(metrics.body).toMatch(
        /http_request_duration_seconds_count\{service="[a-z-]+",method="GET",route="\/health\/live",status_code="200"\} [1-9]/,
      );
      expect(metrics.body).toMatch(/route="<unmatched>",status_code="404"/);
      expect(metrics.body).not.toContain('/no/such/');
      expect(metrics.body).toContain('nowcast_events_consumed_total');
    });

    it('echoes a sane x-request-id and makes one up otherwise', async () => {
      const given = await app.inject({
        method: 'GET',
        url: '/health/live',
        headers: { 'x-request-id': 'abc-123' },
      });
      expect(given.headers['x-request-id']).toBe('abc-123');
      const made = await app.inject({
        method: 'GET',
        url: '/health/live',
        headers: { 'x-request-id': 'bad id\u0001' },
      });
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('reports not ready once shutdown has begun', async () => {
      app.get(ShutdownState).begin();
      const ready = await get(app, '/health/ready');
      expect(ready.status).toBe(503);
      expect((JSON.parse(ready.body) as HealthBody).error?.shutdown.status).toBe('down');
      expect((await get(app, '/health/live')).status).toBe(200);
    });
  });

  it('reports not ready (503) when Redis is unreachable, and stays live', async () => {
    const app = await boot(forRoot({ ...env(), REDIS_URL: `redis://127.0.0.1:${await closedPort()}` }));
    try {
      const body = await readyWithOneDown(app, 'redis', 'kafka');
      expect(body.info?.kafka.status).toBe('up');
      expect((await get(app, '/health/live')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('readiness with Kafka unreachable', () => {
  const infra = testInfra();

  it('reports Kafka down (503) within the probe timeout while Redis stays up', async () => {
    const app = await boot(
      EventEnricherModule.forRoot({
        KAFKA_BROKERS: `127.0.0.1:${await closedPort()}`,
        REDIS_URL: infra.redisUrl,
        LOG_LEVEL: 'silent',
      }),
    );
    try {
      const body = await readyWithOneDown(app, 'kafka', 'redis');
      expect(body.info?.redis.status).toBe('up');
    } finally {
      await app.close();
    }
  });
});

describe('recommender-api docs', () => {
  const infra = testInfra();

  it('serves Swagger UI at /docs and the OpenAPI document with the health routes', async () => {
    const app = await boot(
      RecommenderApiModule.forRoot({
        // its own topics, not the default names (shared by everything on the broker, and never
        // created here: its change-feed readers retried them for 30 s and close() waited, ~40 s)
        ...(await freshPipelineTopics('docs')),
        KAFKA_BROKERS: infra.kafkaBrokers.join(','),
        REDIS_URL: infra.redisUrl,
        LOG_LEVEL: 'silent',
      }),
      true,
    );
    try {
      const ui = await get(app, '/docs');
      expect(ui.status).toBe(200);
      expect(ui.body).toContain('swagger');
      const doc = JSON.parse((await get(app, '/docs-json')).body) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
      expect(Object.keys(doc.paths)).not.toContain('/metrics');
    } finally {
      await app.close();
    }
  });
});
