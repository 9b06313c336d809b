import { createKafka } from '@app/kafka';
import { uniqueName } from '@app/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { AggregatorSettings } from '../aggregation/aggregator.settings';

const CHILD_FIXTURE = join(__dirname, 'aggregator-child.fixture.ts');

/** What aggregator-child.fixture.ts is started with (JSON in argv[2]). */
export interface AggregatorChildConfig {
  brokers: string[];
  redisUrl: string;
  keyPrefix: string;
  topics: AggregatorTopics;
  groupId: string;
  settings: AggregatorSettings;
  /** Time spent in each batch before it is applied, ms (a SIGKILL lands mid-batch). */
  batchDelayMs?: number;
  /** SIGKILLs itself right after this many handled batches: applied, change feed not flushed yet. */
  killAfterBatches?: number;
}

/** Starts aggregator-child.fixture.ts with this config; resolves once it consumes. */
export function startAggregatorChild(config: AggregatorChildConfig): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', CHILD_FIXTURE, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}

/** Resolves when the child process has exited (signal or code). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Reads a topic from the beginning until `until` holds for what was read. */
export async function readTopic(
  brokers: string[],
  topic: string,
  until: (values: { key: string; value: string | null }[]) => boolean,
  // a fresh reader group's join plus the service's own catching up (a restarted member may first
  // wait out a killed one's session): seconds each on a loaded machine
  timeoutMs = 60_000,
): Promise<{ key: string; value: string | null }[]> {
  const consumer = createKafka({ brokers }, 'reader').consumer({
    groupId: uniqueName('reader'),
    maxWaitTimeInMs: 50,
  });
  const seen: { key: string; value: string | null }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out reading ${topic}: ${JSON.stringify(seen)}`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: ({ message }) => {
          seen.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? null });
          if (until(seen)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
