import { EnvSource, loadConfig } from '@app/config';
import { NowcastEvent, TopicRole, partitionKeyOf } from '@app/contracts';
import { InProcessBus, InProcessProducer } from '@app/kafka';
import { REDIS_CLIENT, RedisClient } from '@app/redis';
import { FeedClient, InProcessSink, MarketplaceSimulator, runSimulation } from '@app/simulator';
import { INestMicroservice } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { embeddingWriterEnvSchema } from '../../embedding-writer/src/config/embedding-writer.config';
import { eventEnricherEnvSchema } from '../../event-enricher/src/config/event-enricher.config';
import { metricsAggregatorEnvSchema } from '../../metrics-aggregator/src/config/metrics-aggregator.config';
import { WatermarkTracker } from '../../recommender-api/src/freshness/watermark.tracker';
import { LiveMetricsCache } from '../../recommender-api/src/live-metrics/live-metrics.cache';
import { recommenderApiEnvSchema } from '../../recommender-api/src/config/recommender-api.config';
import { recommenderFastifyOptions } from '../../recommender-api/src/http/fastify.options';
import { setupSwagger } from '../../recommender-api/src/swagger.setup';
import {
  AGGREGATE_STATE_REPOSITORY,
  AggregateStateRepository,
} from '../../metrics-aggregator/src/state/aggregate-state.repository';
import { InMemoryUserStateRepository } from '../../recommender-api/src/user-state/in-memory-user-state.repository';
import { busRetentionOf } from './bus-retention';
import { InMemoryUserVectors } from './in-memory-user-vectors';
import { LiveView } from './live-view';
import { NowcastUserStateSource } from './nowcast-user-state.source';
import { NowcastHttpModule } from './nowcast-http.module';
import { AGGREGATOR_CONTEXT, closeWorkers, sharedInfra, startWorkers } from './nowcast-workers';

export interface NowcastOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  host: string;
  /** Simulated events per second (event time = wall clock). */
  ratePerSec: number;
  /** Feed requests per second the simulator's feed client makes (its reactions go to the raw topic). */
  feedRequestsPerSec: number;
  seed: number;
}

export interface NowcastStatus {
  events: number;
  feedRequests: number;
  liveStreams: number;
  latency: { p50: number; p99: number } | null;
}

export interface RunningNowcast {
  app: NestFastifyApplication;
  url: string;
  simulator: MarketplaceSimulator;
  /** A simulated user who is watching something now (a good feed to look at). */
  sampleUser(): string;
  status(): NowcastStatus;
  close(): Promise<void>;
}

/**
 * The whole mesh in one process: the in-process bus instead of Kafka, the four services' handlers
 * on it, the simulator feeding the raw topic, its feed client reading feeds. `env` as process.env;
 * REDIS_URL set = the Redis repositories, else everything in memory (gone on restart).
 */
export async function startNowcast(env: EnvSource, options: NowcastOptions): Promise<RunningNowcast> {
  const enricher = loadConfig(eventEnricherEnvSchema, env);
  const aggregator = loadConfig(metricsAggregatorEnvSchema, env);
  const writer = loadConfig(embeddingWriterEnvSchema, env);
  const recommender = loadConfig(recommenderApiEnvSchema, env);
  const useRedis = typeof env.REDIS_URL === 'string' && env.REDIS_URL.length > 0;
  const names = recommender.topics.names;
  const partitions = recommender.topics.partitions;
  const bus = new InProcessBus();
  for (const [role, topic] of Object.entries(names) as [TopicRole, string][])
    bus.createTopic(topic, partitions[role], busRetentionOf(role));
  const producer = new InProcessProducer(bus);

  let cache: LiveMetricsCache | null = null;
  let tracker: WatermarkTracker | null = null;
  const view = new LiveView(bus, names, recommender.recommender.dimension, {
    metrics: (records) => cache?.applyRecords(records),
    lifecycle: (records) => cache?.applyLifecycleRecords(records),
    watermarks: (records) => tracker?.applyRecords(records),
  });
  // memory mode: the recommender reads user state from the aggregator's and writer's memory
  const userVectors = new InMemoryUserVectors();
  const userStateSource = new NowcastUserStateSource();
  const app = await NestFactory.create<NestFastifyApplication>(
    NowcastHttpModule.forRoot({
      enricher,
      recommender,
      producer,
      streamIndex: { store: view.store, ready: () => true },
      redis: useRedis ? recommender.redis : null,
      ...(useRedis
        ? {}
        : {
            userState: new InMemoryUserStateRepository(
              userStateSource.current,
              recommender.recommender.dimension,
            ),
          }),
    }),
    new FastifyAdapter({ ...recommenderFastifyOptions(), bodyLimit: enricher.ingress.bodyLimitBytes }),
    { bufferLogs: true },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  cache = app.get(LiveMetricsCache);
  tracker = app.get(WatermarkTracker);
  let feedRequests = 0;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, _reply, done) => {
      if (request.url.includes('/feed')) feedRequests++;
      done();
    });
  setupSwagger(app);
  view.start();

  let workers: INestMicroservice[] = [];
  const abort = new AbortController();
  const simulator = new MarketplaceSimulator({
    seed: options.seed,
    startTimeMs: Date.now(),
    ratePerSec: options.ratePerSec,
  });
  const toRaw = (events: readonly NowcastEvent[]): Promise<void> =>
    producer.send(
      names.raw,
      events.map((e) => ({ key: partitionKeyOf(e), value: JSON.stringify(e) })),
    );
  const sink = new InProcessSink(toRaw);
  let simulation: Promise<unknown> = Promise.resolve();
  let feedTimer: NodeJS.Timeout | undefined;
  const sampleUser = (): string => {
    const viewers = simulator.live.viewers;
    return viewers.length > 0 ? viewers[Math.floor(Math.random() * viewers.length)].user.id : 'user-0';
  };
  try {
    // the consumers' first batches would fail (and be retried) while Redis is still connecting
    if (useRedis) await redisReady(app.get<RedisClient>(REDIS_CLIENT), REDIS_READY_TIMEOUT_MS);
    workers = await startWorkers(
      bus,
      { enricher, aggregator, writer },
      sharedInfra(app, useRedis, logger),
      userVectors,
    );
    if (!useRedis) {
      const state = workers[AGGREGATOR_CONTEXT].get<AggregateStateRepository>(AGGREGATE_STATE_REPOSITORY, {
        strict: false,
      });
      userStateSource.bind(state, userVectors);
    }
    await app.listen(options.port, options.host);
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
    simulation = runSimulation(simulator, sink, { mode: 'paced', signal: abort.signal });
    const client = new FeedClient({
      baseUrl: url,
      sink,
      random: Math.random,
      nextEventId: randomUUID,
    });
    if (options.feedRequestsPerSec > 0) {
      feedTimer = setInterval(
        () => void client.visit(sampleUser()).catch(() => undefined),
        Math.max(10, Math.round(1000 / options.feedRequestsPerSec)),
      );
    }
    let closed = false;
    return {
      app,
      url,
      simulator,
      sampleUser,
      status: () => ({
        events: totalMessages(bus, names.raw),
        feedRequests,
        liveStreams: view.liveStreams,
        latency: view.takeLatency(),
      }),
      close: async () => {
        if (closed) return;
        closed = true;
        clearInterval(feedTimer);
        abort.abort();
        await simulation;
        await closeWorkers(workers);
        view.stop();
        await app.close();
      },
    };
  } catch (error) {
    clearInterval(feedTimer);
    abort.abort();
    await simulation.catch(() => undefined);
    await closeWorkers(workers).catch(() => undefined);
    view.stop();
    await app.close().catch(() => undefined);
    throw error;
  }
}

/** Longest the boot waits for Redis before starting the consumers anyway (they retry), ms. */
const REDIS_READY_TIMEOUT_MS = 5_000;

function redisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
    function done(): void {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    }
  });
}

function totalMessages(bus: InProcessBus, topic: string): number {
  let total = 0;
  for (let p = 0; p < bus.partitionCount(topic); p++) total += bus.highWatermark(topic, p);
  return total;
}
