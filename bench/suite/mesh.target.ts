import { NowcastEvent, partitionKeyOf } from '@app/contracts';
import { MESH_SERVICES, Mesh } from '@app/mesh';
import { Kafka, Partitioners, Producer, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { infraProcesses } from '../machine-cpu';
import { StartedInfra, deleteKafkaState, deleteRedisPrefix, ensureInfra } from './infra';
import { LagMonitor } from './lag-monitor';
import { ROOT, SuiteTarget, pickRuntime } from './suite-target';

export interface MeshTargetOptions {
  brokers: string[];
  redisUrl: string;
  runtime: 'auto' | 'dist' | 'source';
  /** Extra environment for every service (A/B runs of a setting, e.g. by bench/hops.bench.ts). */
  env?: Record<string, string>;
}

/** Topics, consumer groups and the services' settings of a mesh run of its own (`id`: unique per run). */
export function isolatedMeshNames(id: string) {
  const topics = {
    TOPIC_RAW: `${id}.events.raw`,
    TOPIC_ENRICHED: `${id}.events.enriched`,
    TOPIC_DEAD_LETTER: `${id}.events.dlq`,
    TOPIC_METRICS_STREAMS: `${id}.metrics.streams`,
    TOPIC_STREAM_LIFECYCLE: `${id}.streams.lifecycle`,
    TOPIC_STREAM_LIFECYCLE_FAST: `${id}.streams.lifecycle-fast`,
    TOPIC_EMBEDDINGS_STREAMS: `${id}.embeddings.streams`,
    TOPIC_EMBEDDINGS_USERS: `${id}.embeddings.users`,
    TOPIC_STATE_FOLLOWS: `${id}.state.follows`,
    TOPIC_WATERMARKS: `${id}.watermarks`,
  };
  const groups = {
    ENRICHER_GROUP_ID: `${id}-event-enricher`,
    AGGREGATOR_GROUP_ID: `${id}-metrics-aggregator`,
    EMBEDDING_GROUP_ID: `${id}-embedding-writer`,
  };
  // the benchmark is the only client: no per-key rate limits in the way
  const env = {
    ...topics,
    ...groups,
    REDIS_KEY_PREFIX: `${id}:`,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    INGRESS_RATE_LIMIT_MAX: '1000000000',
  };
  return { topics, groups, env };
}

/**
 * The four services as processes (libs/mesh) on the real broker and Redis, isolated from anything
 * else on them: topics, consumer groups and the Redis key prefix are unique to this run and are
 * deleted at the end. The infrastructure is started when nothing answers (and stopped again).
 */
export async function startMeshTarget(o: MeshTargetOptions): Promise<SuiteTarget> {
  const infra: StartedInfra = await ensureInfra(o.brokers, o.redisUrl);
  const id = `bench-${randomUUID().slice(0, 8)}`;
  const { topics, groups, env } = isolatedMeshNames(id);
  const runtime = pickRuntime(MESH_SERVICES, o.runtime);
  const redisPrefix = env.REDIS_KEY_PREFIX;
  const cleanup = async () => {
    await deleteKafkaState(o.brokers, `${id}.`, Object.values(groups)).catch(() => undefined);
    await deleteRedisPrefix(o.redisUrl, redisPrefix).catch(() => undefined);
    await infra.stop();
  };
  let mesh: Mesh;
  try {
    mesh = await Mesh.start({
      root: ROOT,
      kafkaBrokers: o.brokers,
      redisUrl: o.redisUrl,
      runtime,
      ports: 'free',
      parentEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      env: { ...env, ...o.env },
      readyTimeoutMs: 120_000,
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
  const kafka = new Kafka({ brokers: o.brokers, clientId: 'nowcast-bench-probe', logLevel: logLevel.WARN });
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const monitor = new LagMonitor(o.brokers, [
    { name: 'event-enricher', groupId: groups.ENRICHER_GROUP_ID, topic: topics.TOPIC_RAW },
    { name: 'metrics-aggregator', groupId: groups.AGGREGATOR_GROUP_ID, topic: topics.TOPIC_ENRICHED },
    {
      name: 'embedding-writer',
      groupId: groups.EMBEDDING_GROUP_ID,
      topic: topics.TOPIC_ENRICHED,
      suffixed: true,
    },
  ]);
  try {
    await producer.connect();
    await monitor.connect();
  } catch (error) {
    await mesh.stop();
    await cleanup();
    throw error;
  }
  return {
    mode: 'mesh',
    recommenderUrl: mesh.recommenderUrl,
    loadSink: { kind: 'kafka', brokers: o.brokers, topic: topics.TOPIC_RAW },
    produce: async (event: NowcastEvent) => {
      await producer.send({
        topic: topics.TOPIC_RAW,
        acks: -1,
        messages: [{ key: partitionKeyOf(event), value: JSON.stringify(event) }],
      });
    },
    lag: async () => {
      const byConsumer = await monitor.sample();
      return { maxLagSec: Math.max(0, ...Object.values(byConsumer)), byConsumer };
    },
    describe: () => ({
      runtime,
      topicPrefix: `${id}.`,
      redisPrefix,
      infraStarted: infra.started,
      processes: mesh.all().map((p) => ({ name: p.name, pid: p.pid })),
    }),
    processes: () => [
      ...mesh.all().map((p) => ({ name: p.name, pid: p.pid })),
      ...infraProcesses(o.brokers, o.redisUrl),
    ],
    kill: () => {
      for (const p of mesh.all()) if (p.running && p.pid) process.kill(p.pid, 'SIGKILL');
    },
    stop: async () => {
      const joined = await monitor.groupIds().catch(() => []);
      await producer.disconnect().catch(() => undefined);
      await monitor.disconnect().catch(() => undefined);
      await mesh.stop();
      await deleteKafkaState(o.brokers, `${id}.`, joined).catch(() => undefined);
      await cleanup();
    },
  };
}
