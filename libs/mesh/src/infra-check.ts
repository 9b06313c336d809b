import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

export interface InfraCheckOptions {
  kafkaBrokers: readonly string[];
  redisUrl: string;
  /** How long each dependency gets to answer, ms (a refused connection fails at once). Default 10,000: a busy shared Redis can take seconds. */
  timeoutMs?: number;
}

/** What did not answer: one line per dependency (empty when both answered). */
export interface InfraCheckResult {
  problems: string[];
}

/**
 * Asks the broker for its cluster metadata and Redis for a PING, once each, without retries: a
 * quick "is the infrastructure up?" before starting services that would otherwise wait for it
 * forever (they retry by design).
 */
export async function checkInfra(options: InfraCheckOptions): Promise<InfraCheckResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const [kafka, redis] = await Promise.all([
    checkKafka(options.kafkaBrokers, timeoutMs),
    checkRedis(options.redisUrl, timeoutMs),
  ]);
  return { problems: [kafka, redis].filter((p): p is string => p !== null) };
}

async function checkKafka(brokers: readonly string[], timeoutMs: number): Promise<string | null> {
  const admin = new Kafka({
    clientId: 'nowcast-infra-check',
    brokers: [...brokers],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await withTimeout(admin.connect(), timeoutMs);
    await withTimeout(admin.describeCluster(), timeoutMs);
    return null;
  } catch (error) {
    return `Kafka at ${brokers.join(',')} does not answer (${messageOf(error)})`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function checkRedis(url: string, timeoutMs: number): Promise<string | null> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    // ioredis' disconnect waits this long for a socket to close before destroying it; a refused
    // socket has closed already, and the wait's timer (2 s by default) held the process up
    disconnectTimeout: 0,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // the socket error says more than the rejection ("Connection is closed."); a listener also
  // keeps ioredis from logging it
  let socketError: string | undefined;
  client.on('error', (error: Error) => (socketError ??= error.message));
  try {
    await withTimeout(client.connect(), timeoutMs);
    const pong = await withTimeout(client.ping(), timeoutMs);
    return pong === 'PONG' ? null : `Redis at ${url} answered ${String(pong)} to PING`;
  } catch (error) {
    return `Redis at ${url} does not answer (${socketError ?? messageOf(error)})`;
  } finally {
    client.disconnect();
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
