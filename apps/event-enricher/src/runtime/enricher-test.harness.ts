import { loadConfig } from '@app/config';
import { createKafka, KafkaInboundMessage } from '@app/kafka';
import { testInfra, uniqueName } from '@app/testing';
import { Consumer } from 'kafkajs';
import { eventEnricherEnvSchema } from '../config/event-enricher.config';
import { EventEnricherModule } from '../event-enricher.module';
import type { EnricherFeatureConfig } from './enricher-feature.config';
import { EventEnricherApp, createEventEnricherApp, startEventEnricherApp } from './event-enricher.app';

/** Test-only helpers for the enricher's integration tests and bench (real Kafka + Redis). */

/** Env of an isolated enricher: unique topics, group, transactional ids and Redis prefix. */
export function isolatedEnricherEnv(
  overrides: Record<string, string> = {},
  infra: { kafkaBrokers: string[]; redisUrl: string } = testInfra(),
): Record<string, string> {
  const id = uniqueName('enr');
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: '0',
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: `${id}:`,
    TOPIC_RAW: `${id}.raw`,
    TOPIC_ENRICHED: `${id}.enriched`,
    TOPIC_DEAD_LETTER: `${id}.dlq`,
    TOPIC_STREAM_LIFECYCLE: `${id}.lifecycle`,
    TOPIC_STREAM_LIFECYCLE_FAST: `${id}.lifecycle-fast`,
    TOPIC_PARTITIONS: '3',
    ENRICHER_GROUP_ID: `${id}-group`,
    ENRICHER_TRANSACTIONAL_ID_PREFIX: `${id}-tx`,
    ...overrides,
  };
}

export interface RunningEnricher extends EventEnricherApp {
  config: EnricherFeatureConfig;
  url: string;
  close(): Promise<void>;
}

export async function startEnricher(env: Record<string, string>): Promise<RunningEnricher> {
  const config = loadConfig(eventEnricherEnvSchema, env);
  const started = await createEventEnricherApp(EventEnricherModule.forConfig(config), config);
  try {
    await startEventEnricherApp(started, 0, '127.0.0.1');
  } catch (error) {
    await started.app.close().catch(() => undefined);
    throw error;
  }
  return { ...started, config, url: await started.app.getUrl(), close: () => started.app.close() };
}

/** A read-committed reader that keeps collecting a topic's records from the beginning. */
export class TopicCollector {
  readonly records: (KafkaInboundMessage & { partition: number })[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(brokers: string[], topic: string): Promise<TopicCollector> {
    const consumer = createKafka({ brokers }, 'test-reader').consumer({
      groupId: uniqueName('collector'),
      maxWaitTimeInMs: 50,
      readUncommitted: false,
    });
    const collector = new TopicCollector(consumer);
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
    } catch (error) {
      await consumer.disconnect();
      throw error;
    }
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = value?.toString();
        collector.records.push({
          partition,
          offset: message.offset,
          key: message.key ?? null,
          value: message.value ?? null,
          headers,
          timestamp: Number(message.timestamp),
        });
        return Promise.resolve();
      },
    });
    return collector;
  }

  json<T>(): T[] {
    return this.records.map((r) => JSON.parse(r.value?.toString() ?? 'null') as T);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** Polls until `check` returns true (or throws after timeoutMs). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
