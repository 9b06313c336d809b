import { EnvSource } from '@app/config';
import { StreamLifecycle, StreamMetricsSnapshot } from '@app/contracts';
import { createKafka } from '@app/kafka';
import { encodeStreamVectorRecord, float32ToBuffer } from '@app/vector-store';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { Partitioners, type Admin, type Kafka, type Producer, type Transaction } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { recommenderFastifyOptions } from '../http/fastify.options';
import { RecommenderApiModule } from '../recommender-api.module';
import { RecommenderFeaturesOptions } from '../feed/recommender-features.module';

export { axisVector } from './vectors';

/** Boots the recommender as main.ts does (Fastify), without listening: requests go through inject. */
export async function bootRecommender(
  env: EnvSource,
  overrides: Omit<RecommenderFeaturesOptions, 'config'> = {},
): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [RecommenderApiModule.forRoot(env, overrides)],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    new FastifyAdapter(recommenderFastifyOptions()),
    {
      logger: false,
    },
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** Writes the upstream services' records the way they do: change feeds in Kafka, user state in Redis. */
export class UpstreamFixture {
  private kafka: Kafka | null = null;
  private producer: Producer | null = null;
  private readonly transactional: Producer[] = [];
  private admin: Admin | null = null;

  constructor(
    private readonly brokers: string[],
    readonly topics: {
      metrics: string;
      lifecycle: string;
      lifecycleFast: string;
      embeddings: string;
      watermarks: string;
      raw: string;
    },
    private readonly redis: Redis,
    private readonly dimension: number,
  ) {}

  async start(): Promise<void> {
    const kafka = createKafka({ brokers: this.brokers }, 'recommender-test');
    this.kafka = kafka;
    this.admin = kafka.admin();
    await this.admin.connect();
    await this.admin.createTopics({
      topics: Object.values(this.topics).map((topic) => ({ topic, numPartitions: 2 })),
      waitForLeaders: true,
    });
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    for (const producer of this.transactional) await producer.disconnect().catch(() => undefined);
    await this.admin?.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await this.admin?.disconnect();
  }

  async stream(s: StreamMetricsSnapshot, vector: Float32Array): Promise<void> {
    await this.send(this.topics.metrics, s.streamId, JSON.stringify(s));
    const payload = {
      live: s.live,
      sellerId: s.sellerId,
      category: s.category,
      language: s.language,
      title: s.title,
      startedAt: s.startedAt,
    };
    await this.send(
      this.topics.embeddings,
      s.streamId,
      s.live
        ? encodeStreamVectorRecord({
            streamId: s.streamId,
            vector,
            payload,
            eventTime: s.lastEventAt,
            publishedAt: Date.now(),
          })
        : null,
    );
  }

  /** Only the metrics record, to `partition` when a test needs its order with another stream's. */
  async metrics(s: StreamMetricsSnapshot, partition?: number): Promise<void> {
    await this.send(this.topics.metrics, s.streamId, JSON.stringify(s), partition);
  }

  /** A record of the enricher's lifecycle feed (a start or an end, before the metrics). */
  async lifecycle(record: StreamLifecycle, partition?: number): Promise<void> {
    await this.send(this.topics.lifecycle, record.streamId, JSON.stringify(record), partition);
  }

  /** A record of the enricher's lifecycle fast lane (the same facts, before the lifecycle feed's). */
  async lifecycleFast(record: StreamLifecycle): Promise<void> {
    await this.send(this.topics.lifecycleFast, record.streamId, JSON.stringify(record));
  }

  /**
   * Lifecycle records sent in a transaction that is left open, as the enricher's are between its
   * send and its commit, by a transactional producer of their own (another enricher): the caller
   * commits or aborts it.
   */
  async lifecycleInTransaction(records: StreamLifecycle[], partition?: number): Promise<Transaction> {
    const producer = this.kafka!.producer({
      transactionalId: `recommender-test-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    this.transactional.push(producer);
    await producer.connect();
    const transaction = await producer.transaction();
    await transaction.send({
      topic: this.topics.lifecycle,
      messages: records.map((r) => ({ key: r.streamId, value: JSON.stringify(r), partition })),
    });
    return transaction;
  }

  async watermark(source: string, eventTime: number): Promise<void> {
    await this.send(
      this.topics.watermarks,
      `${source}:t:0`,
      JSON.stringify({ source, topic: 't', partition: 0, eventTime, updatedAt: Date.now() }),
    );
  }

  /** The aggregator's and writer's per-user keys (docs/key-layout.md). */
  async user(
    userId: string,
    state: {
      vector?: Float32Array;
      sellers?: Record<string, number>;
      follows?: string[];
      shown?: Record<string, [number, number]>;
    },
  ): Promise<void> {
    const base = `agg:u:${userId}:`;
    const p = this.redis.pipeline();
    if (state.vector) p.set(`emb:user:${userId}`, float32ToBuffer(state.vector));
    for (const [seller, w] of Object.entries(state.sellers ?? {})) {
      p.zadd(`${base}sellers`, w, seller);
      // the aggregator's fields (docs/key-layout.md): one chat per unit of weight
      p.hset(`${base}seller-counts`, `${seller}:chats`, Math.round(w));
    }
    if (state.follows?.length) p.sadd(`${base}follows`, ...state.follows);
    for (const [streamId, [impressions, clicks]] of Object.entries(state.shown ?? {})) {
      p.zadd(`${base}shown`, Date.now(), streamId);
      p.hset(`${base}shown-counts`, `i:${streamId}`, impressions, `c:${streamId}`, clicks);
    }
    await p.exec();
  }

  private async send(topic: string, key: string, value: string | null, partition?: number): Promise<void> {
    await this.producer!.send({ topic, messages: [{ key, value, partition }] });
  }
}
