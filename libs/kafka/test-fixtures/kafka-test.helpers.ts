import { Controller, INestMicroservice, LogLevel, Module, Type } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { KafkaBatch, KafkaBatchServer, KafkaBatchServerOptions } from '@app/kafka';

/** A module whose only consumer forwards the topic's batches to `handle` (topics are unique per test). */
export function consumerModule(topic: string, handle: (batch: KafkaBatch) => Promise<void>): Type<unknown> {
  @Controller()
  class BatchConsumer {
    @EventPattern(topic)
    async onBatch(batch: KafkaBatch): Promise<void> {
      await handle(batch);
    }
  }

  @Module({ controllers: [BatchConsumer] })
  class BatchConsumerModule {}

  return BatchConsumerModule;
}

export async function startKafkaApp(
  module: Type<unknown>,
  options: KafkaBatchServerOptions,
  logger: false | LogLevel[] = ['error'],
): Promise<{ app: INestMicroservice; server: KafkaBatchServer }> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const server = new KafkaBatchServer(options);
  const app = moduleRef.createNestMicroservice({ strategy: server, logger });
  await app.listen();
  return { app, server };
}

/** Short timeouts so a dead member leaves the group in seconds (the test broker allows 500 ms sessions). */
export const FAST_GROUP = {
  sessionTimeoutMs: 3_000,
  rebalanceTimeoutMs: 5_000,
  heartbeatIntervalMs: 300,
  retryBackoff: { initialMs: 50, maxMs: 400, multiplier: 2 },
};

export function rawKafka(brokers: string[]): Kafka {
  return new Kafka({ brokers, clientId: 'kafka-int-test', logLevel: logLevel.NOTHING });
}

/** Committed offset per partition for the group ('-1' = none). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, string>> {
  const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((result?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

export async function eventually<T>(
  probe: () => Promise<T> | T,
  accept: (value: T) => boolean,
  timeoutMs = 60_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`Condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const ids = (count: number, prefix = 'm'): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
