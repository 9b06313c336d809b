import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');

/** True when something accepts TCP connections on host:port within 500 ms. */
export function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface StartedInfra {
  /** What this run started (and stops at the end); empty when everything was already running. */
  started: string[];
  stop(): Promise<void>;
}

const isLocal = (host: string) => host === '127.0.0.1' || host === 'localhost';

/**
 * Mesh mode needs a broker and Redis: reuses what answers on the given addresses, else starts the
 * repository's own (scripts/infra/kafka.sh, redis.sh - the ones `npm run infra:up` uses; state in
 * .cache/infra for the default ports) and stops them again at the end.
 */
export async function ensureInfra(brokers: readonly string[], redisUrl: string): Promise<StartedInfra> {
  const [kafkaHost, kafkaPortText] = brokers[0].split(':');
  const kafkaPort = Number(kafkaPortText);
  const redis = new URL(redisUrl);
  const redisPort = Number(redis.port || 6379);
  const stops: (() => Promise<unknown>)[] = [];
  const started: string[] = [];
  const dir = (name: string, port: number, defaultPort: number) =>
    port === defaultPort
      ? join(ROOT, '.cache/infra', name)
      : join(ROOT, '.cache/bench-infra', `${name}-${port}`);
  try {
    if (!(await portOpen(kafkaHost, kafkaPort))) {
      if (!isLocal(kafkaHost)) throw new Error(`no broker at ${brokers[0]} (not local: not starting one)`);
      const kafkaDir = dir('kafka', kafkaPort, 9092);
      await run('bash', [
        join(ROOT, 'scripts/infra/kafka.sh'),
        'start',
        '--dir',
        kafkaDir,
        '--port',
        String(kafkaPort),
      ]);
      started.push(`kafka on ${kafkaPort}`);
      stops.push(() => run('bash', [join(ROOT, 'scripts/infra/kafka.sh'), 'stop', '--dir', kafkaDir]));
    }
    if (!(await portOpen(redis.hostname, redisPort))) {
      if (!isLocal(redis.hostname)) throw new Error(`no Redis at ${redisUrl} (not local: not starting one)`);
      const redisDir = dir('redis', redisPort, 6379);
      await run('bash', [
        join(ROOT, 'scripts/infra/redis.sh'),
        'start',
        '--dir',
        redisDir,
        '--port',
        String(redisPort),
      ]);
      started.push(`redis on ${redisPort}`);
      stops.push(() => run('bash', [join(ROOT, 'scripts/infra/redis.sh'), 'stop', '--dir', redisDir]));
    }
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
  return {
    started,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

/** SCAN + UNLINK of every key under `prefix` (never FLUSHALL a shared Redis). */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Deletes the run's topics (names starting with `prefix`) and consumer groups. */
export async function deleteKafkaState(
  brokers: readonly string[],
  topicPrefix: string,
  groups: readonly string[],
): Promise<void> {
  const admin = new Kafka({
    brokers: [...brokers],
    clientId: 'nowcast-bench-cleanup',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.deleteGroups([...groups]).catch(() => undefined);
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
