import { Controller, INestMicroservice, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import {
  BatchingProducer,
  createKafka,
  ensureTopics,
  KafkaBatch,
  KafkaBatchServer,
  KafkaBatchServerOptions,
  requireTransaction,
} from '@app/kafka';

/**
 * Throughput of the Kafka transport against a real broker:
 *   npm run bench -- kafka-transport --brokers 127.0.0.1:9092 [--messages 200000] [--bytes 200]
 *     [--partitions 6] [--runs 3] [--window 20000] [--concurrency 1] [--transactional true]
 * produce: N single-message `send` calls (at most `window` unacknowledged) through BatchingProducer;
 * consume: a Nest microservice on KafkaBatchServer reading them back (first batch -> last message);
 * read-process-write: the transactional mode forwarding every message to a second topic.
 */
function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function countingModule(topic: string, onBatch: (batch: KafkaBatch) => void): Type<unknown> {
  @Controller()
  class CountingConsumer {
    @EventPattern(topic)
    handle(batch: KafkaBatch): void {
      onBatch(batch);
    }
  }
  @Module({ controllers: [CountingConsumer] })
  class CountingModule {}
  return CountingModule;
}

/** Consumes `topic` until `total` messages were handled; msgs/s from the first batch to the last message. */
async function consume(
  topic: string,
  total: number,
  options: KafkaBatchServerOptions,
  forwardTo?: string,
): Promise<{ msgsPerSec: number; batches: number; meanBatch: number; cpuUsPerMsg: number }> {
  let seen = 0;
  let cpuAtFirst = process.cpuUsage();
  let batches = 0;
  let firstAt = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const module = countingModule(topic, (batch) => {
    if (batches++ === 0) {
      firstAt = performance.now();
      cpuAtFirst = process.cpuUsage();
    }
    if (forwardTo) {
      requireTransaction(batch).send(
        forwardTo,
        batch.messages.map((m) => ({ key: m.key, value: m.value })),
      );
    }
    seen += batch.messages.length;
    if (seen >= total) done();
  });
  const app: INestMicroservice = await NestFactory.createMicroservice(module, {
    strategy: new KafkaBatchServer(options),
    logger: ['error'],
  });
  await app.listen();
  await finished;
  const seconds = (performance.now() - firstAt) / 1000;
  // CPU of this process per message (user + system, us): robust to a busy machine, unlike msgs/s
  const cpu = process.cpuUsage(cpuAtFirst);
  await app.close();
  return {
    msgsPerSec: Math.round(total / seconds),
    batches,
    meanBatch: Math.round(total / batches),
    cpuUsPerMsg: Math.round(((cpu.user + cpu.system) / total) * 10) / 10,
  };
}

async function produce(
  producer: BatchingProducer,
  topic: string,
  total: number,
  bytes: number,
  window: number,
): Promise<number> {
  const payload = 'x'.repeat(Math.max(0, bytes - 20));
  const started = performance.now();
  let inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    inFlight.push(producer.send(topic, [{ key: `stream-${i % 1000}`, value: `${i}:${payload}` }]));
    if (inFlight.length >= window) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return Math.round(total / ((performance.now() - started) / 1000));
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const brokers = arg(args, 'brokers', '127.0.0.1:9092').split(',');
  const messages = Number(arg(args, 'messages', '200000'));
  const bytes = Number(arg(args, 'bytes', '200'));
  const partitions = Number(arg(args, 'partitions', '6'));
  const runs = Number(arg(args, 'runs', '3'));
  const window = Number(arg(args, 'window', '20000'));
  const concurrency = Number(arg(args, 'concurrency', '1'));
  const transactional = arg(args, 'transactional', 'true') === 'true';

  const produceRates: number[] = [];
  const consumeRates: number[] = [];
  const meanBatches: number[] = [];
  const rpwRates: number[] = [];
  const rpwCpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const id = randomUUID().slice(0, 8);
    const topic = `bench-transport-${id}`;
    const forwarded = `bench-transport-out-${id}`;
    await ensureTopics({ brokers }, [
      { name: topic, partitions },
      { name: forwarded, partitions },
    ]);
    const producer = new BatchingProducer({ brokers, clientId: 'bench-producer' });
    await producer.connect();
    produceRates.push(await produce(producer, topic, messages, bytes, window));
    await producer.close();

    const common = { brokers, fromBeginning: true, partitionsConsumedConcurrently: concurrency };
    const consumed = await consume(topic, messages, { ...common, groupId: `bench-consume-${id}` });
    consumeRates.push(consumed.msgsPerSec);
    meanBatches.push(consumed.meanBatch);
    if (transactional) {
      const rpw = await consume(
        topic,
        messages,
        { ...common, groupId: `bench-rpw-${id}`, transactional: { transactionalIdPrefix: `bench-${id}` } },
        forwarded,
      );
      rpwRates.push(rpw.msgsPerSec);
      rpwCpu.push(rpw.cpuUsPerMsg);
    }
    // Leave nothing behind on a shared broker.
    const admin = createKafka({ brokers, clientId: 'bench-admin' }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, forwarded] });
    await admin
      .deleteGroups([`bench-consume-${id}`, ...(transactional ? [`bench-rpw-${id}`] : [])])
      .catch(() => []);
    await admin.disconnect();
  }
  return {
    brokers: brokers.join(','),
    messages,
    messageBytes: bytes,
    partitions,
    runs,
    produceMsgsPerSec: { median: median(produceRates), runs: produceRates },
    consumeMsgsPerSec: {
      median: median(consumeRates),
      runs: consumeRates,
      meanBatchSize: median(meanBatches),
    },
    ...(transactional
      ? {
          readProcessWriteMsgsPerSec: { median: median(rpwRates), runs: rpwRates },
          readProcessWriteCpuUsPerMsg: { median: median(rpwCpu), runs: rpwCpu },
        }
      : {}),
  };
}
