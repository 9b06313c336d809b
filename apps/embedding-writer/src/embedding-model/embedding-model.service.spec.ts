import { EventDataMap, EventType, NowcastEvent, SCHEMA_VERSION } from '@app/contracts';
import { HashingContentEmbeddingProvider } from '@app/embeddings';
import { StreamContentTracker } from '../content-embedding/stream-content.tracker';
import { dot, isFiniteVector, norm } from '@app/embeddings';
import { DEFAULT_EMBEDDING_MODEL_OPTIONS, EmbeddingModelService } from './embedding-model.service';

let n = 0;
function event<T extends EventType>(type: T, occurredAt: number, data: EventDataMap[T]): NowcastEvent {
  return { eventId: `e${++n}`, type, schemaVersion: SCHEMA_VERSION, occurredAt, data } as NowcastEvent;
}
const started = (streamId: string, sellerId: string, category: string, at: number) =>
  event('stream.started', at, {
    streamId,
    sellerId,
    title: `${category} live`,
    category,
    tags: [category],
    language: 'en',
  });

function feed(model: EmbeddingModelService, events: NowcastEvent[]): void {
  const content = new HashingContentEmbeddingProvider(model.options.dimension);
  const tracker = new StreamContentTracker();
  for (const e of events) {
    const c = tracker.contentFor(e);
    model.apply(e, c ? content.embedOne(c) : undefined);
  }
}

const log: NowcastEvent[] = [
  started('st1', 's1', 'watches', 0),
  started('st2', 's2', 'sneakers', 0),
  event('view.started', 1000, { userId: 'u1', streamId: 'st1' }),
  event('view.started', 2000, { userId: 'u1', streamId: 'st2' }),
  event('bid.placed', 3000, { userId: 'u1', streamId: 'st2', auctionId: 'a1', amount: 10, currency: 'USD' }),
  event('purchase.completed', 4000, { userId: 'u2', streamId: 'st1', amount: 10, currency: 'USD' }),
];

describe('EmbeddingModelService', () => {
  it('moves a user toward the streams they engage with', () => {
    const model = new EmbeddingModelService();
    feed(model, log.slice(0, 3));
    const before = dot(model.users.vectorOf('u1')!, model.streamVector('st2')!);
    feed(model, log.slice(3, 5));
    expect(dot(model.users.vectorOf('u1')!, model.streamVector('st2')!)).toBeGreaterThan(before + 0.1);
  });

  it('publishes unit, finite vectors and drains lifecycle changes first', () => {
    const model = new EmbeddingModelService();
    feed(model, log);
    const urgent = model.drain(false);
    expect(urgent.streams.map((s) => s.streamId).sort()).toEqual(['st1', 'st2']);
    expect(urgent.users).toEqual([]);
    feed(model, [event('stream.ended', 5000, { streamId: 'st1' })]);
    const all = model.drain(true);
    const ended = all.streams.find((s) => s.streamId === 'st1');
    expect(ended).toEqual({ streamId: 'st1', vector: null, payload: null });
    for (const change of [...all.streams, ...all.users]) {
      if (change.vector === null) continue;
      expect(isFiniteVector(change.vector)).toBe(true);
      expect(norm(change.vector)).toBeCloseTo(1, 5);
    }
    expect(all.users.map((u) => u.userId).sort()).toEqual(['u1', 'u2']);
    expect(model.pending).toBe(0);
  });

  it('is deterministic: the same events give the same vectors', () => {
    const a = new EmbeddingModelService();
    const b = new EmbeddingModelService();
    feed(a, log);
    feed(b, log);
    expect(Array.from(a.users.vectorOf('u1')!)).toEqual(Array.from(b.users.vectorOf('u1')!));
    expect(Array.from(a.streamVector('st2')!)).toEqual(Array.from(b.streamVector('st2')!));
  });

  it('erases a user: tombstone, urgent', () => {
    const model = new EmbeddingModelService({ ...DEFAULT_EMBEDDING_MODEL_OPTIONS, dimension: 16 });
    feed(model, log);
    model.drain(true);
    feed(model, [event('user.erased', 6000, { userId: 'u1' })]);
    expect(model.drain(false).users).toEqual([{ userId: 'u1', vector: null }]);
    expect(model.users.vectorOf('u1')).toBeUndefined();
  });

  it('does not republish a vector that moved less than publishMinChange, and settles it exactly', () => {
    const model = new EmbeddingModelService({ ...DEFAULT_EMBEDDING_MODEL_OPTIONS, publishMinChange: 1e-3 });
    feed(model, [
      started('st1', 's1', 'watches', 0),
      event('chat.message', 1000, { userId: 'u1', streamId: 'st1' }),
    ]);
    const first = model.drain(true).users.find((u) => u.userId === 'u1')?.vector;
    expect(first).toBeInstanceOf(Float32Array);
    const published = Array.from(first!);
    // the same stream again: the direction does not move, so nothing is republished
    feed(model, [event('chat.message', 2000, { userId: 'u1', streamId: 'st1' })]);
    expect(model.drain(true).users).toEqual([]);
    expect(model.unchangedSkipped).toBeGreaterThan(0);
    // a stream of another category moves it: republished, from the model's exact state
    feed(model, [
      started('st2', 's2', 'sneakers', 2500),
      event('purchase.completed', 3000, { userId: 'u1', streamId: 'st2', amount: 1, currency: 'USD' }),
    ]);
    const moved = model.drain(true).users.find((u) => u.userId === 'u1')?.vector;
    expect(Array.from(moved!)).not.toEqual(published);
    expect(Array.from(moved!)).toEqual(Array.from(model.users.vectorOf('u1')!));
    // repeated chats in st2 move it less and less: soon a move is too small, and stays stale
    let skippedAt = -1;
    for (let i = 1; i <= 50 && skippedAt < 0; i++) {
      feed(model, [event('chat.message', 3000 + i, { userId: 'u1', streamId: 'st2' })]);
      if (!model.drain(true).users.some((u) => u.userId === 'u1')) skippedAt = i;
    }
    expect(skippedAt).toBeGreaterThan(0);
    expect(Array.from(model.users.vectorOf('u1')!)).not.toEqual(Array.from(moved!));
    expect(model.stale).toBeGreaterThan(0);
    model.settle();
    const settled = model.drain(true).users.find((u) => u.userId === 'u1')?.vector;
    expect(Array.from(settled!)).toEqual(Array.from(model.users.vectorOf('u1')!));
    expect(model.stale).toBe(0);
  });

  it('republishes the points of a failed flush even if they did not move since', () => {
    const model = new EmbeddingModelService();
    feed(model, log);
    const failed = model.drain(true);
    model.requeue(failed);
    const retried = model.drain(true);
    expect(retried.users.map((u) => u.userId).sort()).toEqual(failed.users.map((u) => u.userId).sort());
    expect(retried.streams.map((s) => s.streamId).sort()).toEqual(
      failed.streams.map((s) => s.streamId).sort(),
    );
    // lifecycle changes stay urgent when requeued
    feed(model, [event('stream.ended', 9000, { streamId: 'st2' })]);
    const urgent = model.drain(false);
    model.requeue(urgent);
    expect(model.hasUrgent).toBe(true);
    expect(model.drain(false).streams).toEqual([{ streamId: 'st2', vector: null, payload: null }]);
  });

  it('drops idle users without a tombstone: readers keep their last vector', () => {
    const DAY = 24 * 3600_000;
    const model = new EmbeddingModelService({
      ...DEFAULT_EMBEDDING_MODEL_OPTIONS,
      userIdleMs: 2 * DAY,
      // every move after a first publication is too small: u1's last chat leaves it stale
      publishMinChange: 0.5,
    });
    feed(model, log);
    model.drain(true);
    feed(model, [event('chat.message', 5000, { userId: 'u1', streamId: 'st1' })]);
    expect(model.drain(true).users).toEqual([]);
    expect(model.stale).toBeGreaterThan(0);
    // u1 and u2 go quiet while a third user keeps the event time moving
    feed(model, [started('st3', 's3', 'books', DAY)]);
    for (let hour = 25; hour <= 72; hour++)
      feed(model, [event('view.started', hour * 3600_000, { userId: 'u3', streamId: 'st3' })]);
    expect([model.users.has('u1'), model.users.has('u2'), model.users.has('u3')]).toEqual([
      false,
      false,
      true,
    ]);
    expect(model.idleUsersDropped).toBe(2);
    // settling republishes stale points: a dropped user is not one of them (no tombstone)
    model.settle();
    const drained = model.drain(true);
    expect(drained.users.map((u) => u.userId)).toEqual(['u3']);
    expect(drained.users[0].vector).not.toBeNull();
  });
});
