import { EnrichedEvent } from '@app/contracts';
import { loadConfig } from '@app/config';
import { BatchingProducer } from '@app/kafka';
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ensureEnricherTopics } from './enricher-topics';
import { eventEnricherEnvSchema } from '../config/event-enricher.config';
import { TopicCollector, eventually, isolatedEnricherEnv } from '../runtime/enricher-test.harness';

const repoRoot = resolve(__dirname, '../../../..');
const main = join(repoRoot, 'apps/event-enricher/src/main.ts');

/** The real service entry point in its own process. */
function startProcess(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', main], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.resume();
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill(signal);
  await exited;
}

describe('an enricher process killed (SIGKILL) mid-stream and restarted', () => {
  it('yields every enriched event exactly once to a read-committed consumer', async () => {
    // small fetches: many small transactions, so the kill lands mid-stream
    const env = isolatedEnricherEnv({
      ENRICHER_MAX_BYTES_PER_PARTITION: '8192',
      GRPC_PORT: '0',
      LOG_LEVEL: 'error',
    });
    const brokers = env.KAFKA_BROKERS.split(',');
    // enough that the kill lands mid-stream: a read-committed collector sees whole transactions, and
    // 6,000 events were once all enriched between two of its polls past the first 1,000
    const total = 24_000;
    const ids: string[] = [];
    const messages = Array.from({ length: total }, (_, i) => {
      const streamId = `s-${i % 12}`;
      const event = {
        eventId: randomUUID(),
        type: 'chat.message',
        schemaVersion: 1,
        occurredAt: Date.now() - 60_000 + i,
        data: { userId: `user-${i % 50}`, streamId },
      };
      ids.push(event.eventId);
      return { key: streamId, value: JSON.stringify(event) };
    });
    await ensureEnricherTopics(loadConfig(eventEnricherEnvSchema, env));
    const producer = new BatchingProducer({ brokers });
    for (let i = 0; i < total; i += 6_000) await producer.send(env.TOPIC_RAW, messages.slice(i, i + 6_000));
    await producer.close();

    const enriched = await TopicCollector.start(brokers, env.TOPIC_ENRICHED);
    let child = startProcess(env);
    try {
      await eventually(() => enriched.records.length >= 1_000, 60_000, 'first enriched records');
      await kill(child, 'SIGKILL');
      const atKill = enriched.records.length;
      expect(atKill).toBeLessThan(total);

      child = startProcess(env);
      await eventually(() => enriched.records.length >= total, 90_000, 'every event after the restart');
      await new Promise((resolveLater) => setTimeout(resolveLater, 2_000)); // duplicates would show now
      const seen = enriched.json<EnrichedEvent>().map((e) => e.eventId);
      expect(seen).toHaveLength(total);
      expect(new Set(seen)).toEqual(new Set(ids));
      for (let s = 0; s < 12; s++) {
        const times = enriched
          .json<EnrichedEvent>()
          .filter((e) => e.type === 'chat.message' && e.data.streamId === `s-${s}`)
          .map((e) => e.occurredAt);
        expect(times).toEqual([...times].sort((a, b) => a - b));
      }
    } finally {
      await kill(child, 'SIGTERM');
      await enriched.stop();
    }
  });
});
