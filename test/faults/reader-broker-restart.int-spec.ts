import { BatchingProducer, CompactedRecord, CompactedTopicReader, ensureTopics } from '@app/kafka';
import { uniqueName } from '@app/testing';
import { Kafka, logLevel } from 'kafkajs';
import { PrivateInfra } from './support/private-infra.fixture';

const KEYS = 50;

/** Polls until `condition` holds (or fails the test after `timeoutMs`). */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A change-feed reader (the recommender's metrics, watermarks and stream replica) across a broker
 * SIGKILL and restart. kafkajs restarts its consumer after the connection errors, and a restarted
 * consumer of the reader's throwaway group (nothing committed) starts again at the beginning of
 * the topic: before this spec the reader then applied every older record again, so the cache went
 * back in time (an ended stream live again) until the replay reached the end. The reader must go
 * on from where it was: every key's values only move forward, each record is applied once.
 * Its own broker (it is killed), so it is in test/faults; it runs in `integration` too.
 */
describe('CompactedTopicReader across a broker restart (own broker, SIGKILL)', () => {
  let infra: PrivateInfra | undefined;
  let reader: CompactedTopicReader | undefined;

  beforeAll(async () => {
    infra = await PrivateInfra.start();
  }, 120_000);

  afterAll(async () => {
    await reader?.stop().catch(() => undefined);
    await infra?.stop();
  }, 60_000);

  it('resumes where it was: no record applied twice, no key going back', async () => {
    // kafkajs' connection errors while the broker is down are the point here, not news
    const kafka = { brokers: infra!.kafkaBrokers, clientId: 'reader-restart', logLevel: logLevel.NOTHING };
    const topic = uniqueName('reader-restart');
    await ensureTopics(kafka, [{ name: topic, partitions: 3, compacted: true }]);
    const produce = async (round: number): Promise<void> => {
      const producer = new BatchingProducer({ ...kafka, lingerMs: 1, maxBatchMessages: 500 });
      try {
        const records = Array.from({ length: KEYS }, (_, k) => ({ key: `k${k}`, value: String(round) }));
        await producer.send(topic, records);
      } finally {
        await producer.close();
      }
    };
    for (let round = 1; round <= 3; round++) await produce(round);

    const applied: CompactedRecord[] = [];
    const latest = new Map<string, number>();
    const wentBack: string[] = [];
    reader = new CompactedTopicReader({ kafka, topic, groupIdPrefix: 'reader-restart' }, (records) => {
      for (const r of records) {
        applied.push(r);
        const value = Number(r.value?.toString());
        if ((latest.get(r.key) ?? 0) > value) wentBack.push(`${r.key}: ${latest.get(r.key)} -> ${value}`);
        latest.set(r.key, value);
      }
    });
    await reader.start();
    expect(await reader.waitUntilCaughtUp(60_000)).toBe(true);
    expect(applied).toHaveLength(3 * KEYS);

    await infra!.killKafka();
    await infra!.startKafka();
    await produce(4);
    await until(() => [...latest.values()].filter((v) => v === 4).length === KEYS, 90_000, 'round 4');
    // a replay, had there been one, would have come before round 4's records; let a late one show
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    expect(wentBack).toEqual([]);
    expect(applied).toHaveLength(4 * KEYS);
    expect(reader.caughtUp).toBe(true);
    await reader.stop(); // before the next test kills the broker again
  }, 240_000);

  // patches/kafkajs+2.2.4.patch: a consumer kafkajs restarts after the broker came back joins as
  // the member it was (its LeaveGroup could not get through), so the coordinator does not wait
  // out that member's 30 s session before the group may fetch again.
  it('a consumer kafkajs restarted rejoins its group as the same member', async () => {
    const topic = uniqueName('rejoin');
    await ensureTopics({ brokers: infra!.kafkaBrokers }, [{ name: topic, partitions: 2 }]);
    const kafka = new Kafka({ brokers: infra!.kafkaBrokers, clientId: 'rejoin', logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('rejoin'), maxWaitTimeInMs: 100 });
    const joins: { memberId: string; at: number }[] = [];
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      joins.push({ memberId: payload.memberId, at: Date.now() }),
    );
    const crashes: boolean[] = [];
    consumer.on(consumer.events.CRASH, ({ payload }) => crashes.push(payload.restart));
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachBatch: () => Promise.resolve() });
      await until(() => joins.length === 1, 30_000, 'the first join');

      await infra!.killKafka();
      await until(() => crashes.length > 0, 60_000, 'kafkajs to give up on the connection');
      await infra!.startKafka();
      await until(() => joins.length === 2, 60_000, 'the rejoin');

      expect(crashes.every((restart) => restart)).toBe(true);
      expect(joins[1].memberId).toBe(joins[0].memberId);
    } finally {
      await consumer.disconnect();
    }
  }, 240_000);
});
