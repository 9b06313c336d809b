import { NowcastEvent, parseEvent, partitionKeyOf } from '@app/contracts';
import { testInfra, uniqueName } from '@app/testing';
import { Kafka, logLevel } from 'kafkajs';
import { MarketplaceSimulator } from '../marketplace.simulator';
import { runSimulation } from '../simulation.runner';
import { KafkaSink } from './kafka.sink';

describe('KafkaSink (real broker)', () => {
  const infra = testInfra();

  it('produces every simulated event to the topic, keyed by partitionKeyOf, in per-key order', async () => {
    const topic = uniqueName('sim-raw');
    const sink = new KafkaSink({
      brokers: infra.kafkaBrokers,
      topic,
      createTopicPartitions: 3,
      maxBatch: 500,
    });
    const sim = new MarketplaceSimulator({ seed: 11, startTimeMs: Date.now() - 60_000 });
    const expected = new MarketplaceSimulator({ seed: 11, startTimeMs: sim.options.startTimeMs }).take(3_000);
    try {
      await runSimulation(sim, sink, { mode: 'simulated', maxEvents: 3_000, batchSize: 1_200 });
    } finally {
      await sink.close();
    }

    const kafka = new Kafka({ brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('sim-check') });
    const received: { key: string; event: NowcastEvent; partition: number }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length} messages arrived`)), 60_000);
        void consumer.run({
          eachMessage: ({ message, partition }) => {
            received.push({
              key: message.key?.toString() ?? '',
              event: parseEvent(message.value ?? Buffer.alloc(0), { maxPastMs: Infinity }),
              partition,
            });
            if (received.length === expected.length) {
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

    expect(received.every((m) => m.key === partitionKeyOf(m.event))).toBe(true);
    const byId = new Map(received.map((m) => [m.event.eventId, m.event]));
    expect(expected.every((e) => JSON.stringify(byId.get(e.eventId)) === JSON.stringify(e))).toBe(true);
    // Per key, the broker order is the simulator's order.
    const position = new Map(expected.map((e, i) => [e.eventId, i]));
    const lastByKey = new Map<string, number>();
    let outOfOrder = 0;
    for (const m of received) {
      const at = position.get(m.event.eventId) ?? -1;
      if (at < (lastByKey.get(m.key) ?? -1)) outOfOrder++;
      lastByKey.set(m.key, at);
    }
    expect(outOfOrder).toBe(0);
    expect(new Set(received.map((m) => m.partition)).size).toBe(3);
  });
});
