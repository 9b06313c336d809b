import { EnrichedEvent } from '@app/contracts';
import { BatchingProducer } from '@app/kafka';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  TopicCollector,
  eventually,
  isolatedEnricherEnv,
  startEnricher,
} from '../runtime/enricher-test.harness';

const run = promisify(execFile);
const redisScript = resolve(__dirname, '../../../../scripts/infra/redis.sh');

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const views = (n: number, streams: number) =>
  Array.from({ length: n }, (_, i) => {
    const streamId = `s-${i % streams}`;
    const event = {
      eventId: randomUUID(),
      type: 'view.started',
      schemaVersion: 1,
      occurredAt: Date.now(),
      data: { userId: `user-${i}`, streamId },
    };
    return { key: streamId, value: JSON.stringify(event) };
  });

// Uses its OWN redis-server (never the shared test Redis): it is stopped mid-stream.
describe('Redis stopped and restarted mid-stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'enricher-redis-'));
  afterAll(async () => {
    await run('bash', [redisScript, 'stop', '--dir', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing, duplicates nothing, dead-letters nothing, and flips readiness meanwhile', async () => {
    const port = await freePort();
    await run('bash', [redisScript, 'start', '--dir', dir, '--port', String(port)]);
    const env = isolatedEnricherEnv({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      ENRICHER_REDIS_TIMEOUT_MS: '1000',
    });
    const brokers = env.KAFKA_BROKERS.split(',');
    const enricher = await startEnricher(env);
    const producer = new BatchingProducer({ brokers });
    const enriched = await TopicCollector.start(brokers, env.TOPIC_ENRICHED);
    const dlq = await TopicCollector.start(brokers, env.TOPIC_DEAD_LETTER);
    try {
      await producer.send(env.TOPIC_RAW, views(1_000, 20));
      await eventually(() => enriched.records.length >= 1_000, 30_000, 'first part');

      await run('bash', [redisScript, 'stop', '--dir', dir]);
      await producer.send(env.TOPIC_RAW, views(1_000, 20));
      await eventually(
        async () => (await fetch(`${enricher.url}/health/ready`)).status === 503,
        20_000,
        'not ready during the outage',
      );
      expect(enriched.records.length).toBe(1_000);

      await run('bash', [redisScript, 'start', '--dir', dir, '--port', String(port)]);
      await producer.send(env.TOPIC_RAW, views(1_000, 20));
      await eventually(() => enriched.records.length >= 3_000, 60_000, 'everything after the outage');
      await eventually(
        async () => (await fetch(`${enricher.url}/health/ready`)).status === 200,
        20_000,
        'ready again',
      );
      await new Promise((resolveLater) => setTimeout(resolveLater, 1_000));

      const ids = enriched.json<EnrichedEvent>().map((e) => e.eventId);
      expect(ids).toHaveLength(3_000);
      expect(new Set(ids).size).toBe(3_000);
      expect(dlq.records).toHaveLength(0);
    } finally {
      await Promise.all([enriched.stop(), dlq.stop(), producer.close()]);
      await enricher.close();
    }
  });
});
