import { RecordingProducer } from '@app/testing';
import { InProcessVectorStore, decodeUserVectorRecord } from '@app/vector-store';
import { EmbeddingChanges } from '../embedding-model/embedding-model.service';
import {
  EmbeddingPublisher,
  LAST_ENGAGED_AT,
  USER_POINT_SWEEP_EVERY_MS,
  USER_TOPIC_RECORDS_PER_FLUSH,
} from './embedding.publisher';

const TOPICS = { streams: 'streams', users: 'users', watermarks: 'wm' };
const D = 4;

/** The user-topic records the producer was given, decoded. */
function usersSent(producer: RecordingProducer): { key: string; vector: number[] | null }[] {
  return producer.messages(TOPICS.users).map((message) => ({
    key: String(message.key),
    vector: message.value === null ? null : [...decodeUserVectorRecord(message.value, D).vector],
  }));
}

/** `t0` starts the user topic's first interval, so a millisecond tick can't shift the cadence. */
function setup(userTopicMs: number, t0: number) {
  const producer = new RecordingProducer();
  const redis = new Map<string, number[]>();
  const store = {
    write: (upserts: readonly { userId: string; vector: Float32Array }[], deletes: readonly string[]) => {
      for (const u of upserts) redis.set(u.userId, [...u.vector]);
      for (const id of deletes) redis.delete(id);
      return Promise.resolve();
    },
  };
  const publisher = new EmbeddingPublisher(producer, TOPICS, store, undefined, userTopicMs, t0);
  return { producer, redis, publisher };
}

const users = (...changes: [string, number[] | null][]): EmbeddingChanges => ({
  streams: [],
  users: changes.map(([userId, v]) => ({ userId, vector: v ? new Float32Array(v) : null })),
});

/** `n` users with one vector each: [userId, vector] pairs. */
const manyUsers = (n: number, prefix = 'u'): [string, number[]][] =>
  Array.from({ length: n }, (_, i) => [`${prefix}${i}`, [1, 0, 0, 0]]);

describe('EmbeddingPublisher user topic cadence', () => {
  it('writes Redis at every flush but each user once per round, with the latest vector', async () => {
    const t0 = Date.now();
    const { producer, redis, publisher } = setup(5000, t0);
    await publisher.publish(users(['u1', [1, 0, 0, 0]], ['u2', [0, 1, 0, 0]]), 1, t0);
    await publisher.publish(users(['u1', [0, 0, 1, 0]]), 2, t0 + 1000);
    expect(redis.get('u1')).toEqual([0, 0, 1, 0]);
    expect(redis.get('u2')).toEqual([0, 1, 0, 0]);
    expect(usersSent(producer)).toEqual([]);
    expect(publisher.pendingUserRecords).toBe(2);
    // the round begins at the interval and sends its records over the next one
    expect(publisher.userTopicDue(t0 + 4999)).toBe(false);
    expect(publisher.userTopicDue(t0 + 5000)).toBe(false);
    expect(publisher.userTopicDue(t0 + 5001)).toBe(true);
    expect(await publisher.publish(users(), 2, t0 + 6000)).toBe(1);
    expect(await publisher.publish(users(), 2, t0 + 7000)).toBe(0);
    expect(await publisher.publish(users(), 2, t0 + 8000)).toBe(1);
    expect(usersSent(producer)).toEqual([
      { key: 'u1', vector: [0, 0, 1, 0] },
      { key: 'u2', vector: [0, 1, 0, 0] },
    ]);
    expect(publisher.pendingUserRecords).toBe(0);
    expect(publisher.userTopicDue(t0 + 20_000)).toBe(false);
  });

  it("sends the vector it was given, not what the model's array holds later (a reused slot)", async () => {
    const t0 = Date.now();
    const { producer, publisher } = setup(1000, t0);
    const changes = users(['u1', [1, 0, 0, 0]]);
    await publisher.publish(changes, 1, t0);
    // the model rewrites its slot in place once another user has it
    changes.users[0].vector!.set([0, 0, 0, 1]);
    await publisher.publish(users(['u2', [0, 1, 0, 0]]), 2, t0 + 500);
    await publisher.publish(users(), 2, t0 + 1500); // the round begins
    await publisher.publish(users(), 2, t0 + 2600); // and ends
    expect(usersSent(producer)).toEqual([
      { key: 'u1', vector: [1, 0, 0, 0] },
      { key: 'u2', vector: [0, 1, 0, 0] },
    ]);
    // a sent record's slot goes to the next pending user, who sends their own vector
    await publisher.publish(users(['u3', [0, 0, 1, 0]]), 3, t0 + 2700);
    await publisher.publish(users(), 3, t0 + 3800);
    expect(usersSent(producer).slice(2)).toEqual([{ key: 'u3', vector: [0, 0, 1, 0] }]);
  });

  it('spreads a round evenly over the interval; what arrives meanwhile waits for the next round', async () => {
    const t0 = Date.now();
    const { producer, publisher } = setup(10_000, t0);
    await publisher.publish(users(...manyUsers(1000)), 1, t0);
    expect(publisher.userTopicDue(t0 + 10_000)).toBe(false); // the round begins: nothing yet
    const perSecond: number[] = [];
    for (let s = 1; s <= 10; s++) {
      // a new user and a repeat of a pending one every second (the repeat is coalesced)
      perSecond.push(
        await publisher.publish(
          users([`late${s}`, [0, 1, 0, 0]], ['u999', [0, 0, 1, 0]]),
          2,
          t0 + 10_000 + s * 1000,
        ),
      );
    }
    expect(perSecond).toEqual(Array.from({ length: 10 }, () => 100));
    const sent = usersSent(producer);
    expect(sent).toHaveLength(1000);
    expect(sent.map((r) => r.key)).toEqual(manyUsers(1000).map(([id]) => id));
    expect(sent[999].vector).toEqual([0, 0, 1, 0]);
    // the late arrivals are the next round's: it begins an interval after this one
    expect(publisher.pendingUserRecords).toBe(10);
    expect(await publisher.publish(users(), 3, t0 + 20_500)).toBe(0);
    expect(await publisher.publish(users(), 3, t0 + 30_000)).toBe(10);
  });

  it('tombstones an erased user at once and never sends its buffered record after it', async () => {
    const t0 = Date.now();
    const { producer, redis, publisher } = setup(5000, t0);
    await publisher.publish(users(['u1', [1, 0, 0, 0]], ['u2', [0, 1, 0, 0]]), 1, t0);
    await publisher.publish(users(['u1', null]), 2, t0 + 10);
    expect(redis.has('u1')).toBe(false);
    expect(usersSent(producer)).toEqual([{ key: 'u1', vector: null }]);
    await publisher.publish(users(), 2, t0 + 10, true);
    expect(usersSent(producer)).toEqual([
      { key: 'u1', vector: null },
      { key: 'u2', vector: [0, 1, 0, 0] },
    ]);
  });

  it('keeps the records of a failed send pending until one succeeds', async () => {
    const t0 = Date.now();
    const { producer, publisher } = setup(1000, t0);
    await publisher.publish(users(['u1', [1, 0, 0, 0]]), 1, t0);
    expect(publisher.userTopicDue(t0 + 1000)).toBe(false);
    producer.failNext = 1;
    await expect(publisher.publish(users(), 1, t0 + 1500)).rejects.toThrow('broker down');
    expect(publisher.pendingUserRecords).toBe(1);
    // still due: the round's share was not sent
    expect(publisher.userTopicDue(t0 + 1501)).toBe(true);
    await publisher.publish(users(), 1, t0 + 1501);
    expect(usersSent(producer)).toEqual([{ key: 'u1', vector: [1, 0, 0, 0] }]);
  });

  it('with interval 0 sends every flush with its records (the old cadence)', async () => {
    const t0 = Date.now();
    const { producer, publisher } = setup(0, t0);
    await publisher.publish(users(['u1', [1, 0, 0, 0]]), 1, t0);
    await publisher.publish(users(['u1', [0, 1, 0, 0]]), 2, t0);
    expect(usersSent(producer)).toEqual([
      { key: 'u1', vector: [1, 0, 0, 0] },
      { key: 'u1', vector: [0, 1, 0, 0] },
    ]);
  });

  it('catches up a round behind its pace at most USER_TOPIC_RECORDS_PER_FLUSH per flush', async () => {
    const t0 = Date.now();
    const { producer, publisher } = setup(5000, t0);
    const n = USER_TOPIC_RECORDS_PER_FLUSH + 500;
    await publisher.publish(users(...manyUsers(n)), 1, t0);
    expect(publisher.userTopicDue(t0 + 5000)).toBe(false);
    // no flush for a whole interval (a stalled writer): the round is all due, sent in two flushes
    expect(await publisher.publish(users(), 1, t0 + 10_000)).toBe(USER_TOPIC_RECORDS_PER_FLUSH);
    expect(publisher.userTopicDue(t0 + 10_001)).toBe(true);
    expect(await publisher.publish(users(), 1, t0 + 10_001)).toBe(500);
    expect(new Set(usersSent(producer).map((r) => r.key)).size).toBe(n);
    expect(publisher.userTopicDue(t0 + 10_002)).toBe(false);
  });
});

describe('EmbeddingPublisher user points in the vector store (Qdrant when configured)', () => {
  const MIN = 60_000;
  const TTL = 24 * 60 * MIN;

  function withStores(userPointTtlMs?: number) {
    const streams = new InProcessVectorStore({ dimension: D });
    const userStore = new InProcessVectorStore({ dimension: D });
    const redis = { write: () => Promise.resolve() };
    const qdrant = { streams, users: userStore, ...(userPointTtlMs === undefined ? {} : { userPointTtlMs }) };
    const publisher = new EmbeddingPublisher(new RecordingProducer(), TOPICS, redis, qdrant, 0, 0);
    const ids = async () =>
      (await userStore.search({ vector: [1, 0, 0, 0], limit: 10 })).map((p) => p.id).sort();
    return { publisher, userStore, ids };
  }

  it('stamps each user point with the event time of its publication', async () => {
    const { publisher, userStore } = withStores(TTL);
    await publisher.publish(users(['u1', [1, 0, 0, 0]]), 5 * MIN, 0);
    const [point] = await userStore.search({ vector: [1, 0, 0, 0], limit: 1 });
    expect(point.payload).toEqual({ userId: 'u1', [LAST_ENGAGED_AT]: 5 * MIN });
  });

  it('deletes the points of users idle for the TTL, at most every USER_POINT_SWEEP_EVERY_MS', async () => {
    const { publisher, ids } = withStores(TTL);
    await publisher.publish(users(['old', [1, 0, 0, 0]], ['renewed', [1, 0, 0, 0]]), 0, 0);
    await publisher.publish(users(['recent', [1, 0, 0, 0]]), 20 * MIN, 0);
    // every sweep so far found nothing idle; the last ran at TTL - 1, the next is due 15 minutes later
    await publisher.publish(users(['renewed', [1, 0, 0, 0]]), TTL - 1, 0);
    await publisher.publish(users(), TTL + 14 * MIN, 0);
    expect(await ids()).toEqual(['old', 'recent', 'renewed']);
    await publisher.publish(users(), TTL - 1 + USER_POINT_SWEEP_EVERY_MS, 0);
    // 'old' is a TTL behind; 'recent' not yet; 'renewed' was published again
    expect(await ids()).toEqual(['recent', 'renewed']);
    await publisher.publish(users(), TTL + 30 * MIN, 0);
    expect(await ids()).toEqual(['renewed']);
  });

  it('keeps every user point without a TTL', async () => {
    const { publisher, ids } = withStores();
    await publisher.publish(users(['u1', [1, 0, 0, 0]]), 0, 0);
    await publisher.publish(users(['u2', [1, 0, 0, 0]]), 100 * TTL, 0);
    expect(await ids()).toEqual(['u1', 'u2']);
  });
});
