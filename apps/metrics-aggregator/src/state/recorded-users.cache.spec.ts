import { BatchUpdate, UserDelta } from '../aggregation/batch-update';
import { seenHourOf, writesEngagement } from './aggregate-state.repository';
import { RecordedUsersCache } from './recorded-users.cache';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 29, 9);

const engaged = (id: string): UserDelta => ({ id, recent: new Map([['s1', T0]]) });
const batch = (maxEventTime: number, ...users: UserDelta[]): BatchUpdate => ({
  topic: 'enriched',
  partition: 0,
  lastOffset: '0',
  expectOffset: '',
  maxEventTime,
  streams: [],
  users,
  lateEvents: 0,
});

/** skippable + applied, as the repository calls them around a successful apply. */
function applyTo(cache: RecordedUsersCache, update: BatchUpdate): string[] {
  const { hour, skip } = cache.skippable(update);
  cache.applied(update, hour);
  return skip;
}

describe('RecordedUsersCache', () => {
  it('rounds a batch up to the hour it records its users at', () => {
    expect(seenHourOf(T0)).toBe(T0);
    expect(seenHourOf(T0 + 1)).toBe(T0 + HOUR);
  });

  it('counts only deltas that write engagement keys', () => {
    expect(writesEngagement(engaged('u'))).toBe(true);
    expect(
      writesEngagement({ id: 'u', shown: new Map([['s1', [1, 0, T0] as [number, number, number]]]) }),
    ).toBe(true);
    expect(writesEngagement({ id: 'u', follows: [['seller-1', 1, T0]] })).toBe(false);
    expect(writesEngagement({ id: 'u', erase: true })).toBe(false);
  });

  it('skips the users recorded earlier in the same hour, and nobody once the hour moves on', () => {
    const cache = new RecordedUsersCache();
    expect(applyTo(cache, batch(T0 + 1_000, engaged('a'), engaged('b')))).toEqual([]);
    expect(applyTo(cache, batch(T0 + 2_000, engaged('a'), engaged('c')))).toEqual(['a']);
    expect(applyTo(cache, batch(T0 + 3_000, engaged('a'), engaged('b'), engaged('c')))).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(applyTo(cache, batch(T0 + HOUR + 1, engaged('a')))).toEqual([]);
    expect(cache.size).toBe(1);
  });

  it('never skips a user erased in the batch, and forgets them', () => {
    const cache = new RecordedUsersCache();
    applyTo(cache, batch(T0 + 1_000, engaged('a')));
    expect(applyTo(cache, batch(T0 + 2_000, { id: 'a', erase: true }))).toEqual([]);
    expect(applyTo(cache, batch(T0 + 3_000, engaged('a')))).toEqual([]);
    // erased and active again in one batch: the script records them, so they are skipped later
    expect(applyTo(cache, batch(T0 + 4_000, { ...engaged('a'), erase: true }))).toEqual([]);
    expect(applyTo(cache, batch(T0 + 5_000, engaged('a')))).toEqual(['a']);
  });

  it('stops skipping an erased user as soon as the erasing batch is planned', () => {
    const cache = new RecordedUsersCache();
    applyTo(cache, batch(T0 + 1_000, engaged('a')));
    const erasing = batch(T0 + 2_000, { id: 'a', erase: true });
    const { hour } = cache.skippable(erasing);
    // another partition's batch planned while the erasure runs
    expect(cache.skippable(batch(T0 + 2_500, engaged('a'))).skip).toEqual([]);
    cache.applied(erasing, hour);
  });

  it('does not remember a user whose batch only followed', () => {
    const cache = new RecordedUsersCache();
    applyTo(cache, batch(T0 + 1_000, { id: 'a', follows: [['seller-1', 1, T0]] }));
    expect(applyTo(cache, batch(T0 + 2_000, engaged('a')))).toEqual([]);
  });

  it("skips nothing for a lagging partition's earlier hour, and keeps nothing of it", () => {
    const cache = new RecordedUsersCache();
    applyTo(cache, batch(T0 + HOUR + 1, engaged('a')));
    expect(applyTo(cache, batch(T0 + 1_000, engaged('a'), engaged('b')))).toEqual([]);
    expect(applyTo(cache, batch(T0 + HOUR + 2, engaged('a'), engaged('b')))).toEqual(['a']);
  });

  it('ignores an apply whose hour was overtaken while it ran', () => {
    const cache = new RecordedUsersCache();
    const early = batch(T0 + 1_000, engaged('a'));
    const { hour } = cache.skippable(early);
    applyTo(cache, batch(T0 + HOUR + 1, engaged('b')));
    cache.applied(early, hour);
    expect(applyTo(cache, batch(T0 + HOUR + 2, engaged('a'), engaged('b')))).toEqual(['b']);
  });

  it('forgets everything when cleared (the state was deleted)', () => {
    const cache = new RecordedUsersCache();
    applyTo(cache, batch(T0 + 1_000, engaged('a')));
    cache.clear();
    expect(applyTo(cache, batch(T0 + 2_000, engaged('a')))).toEqual([]);
  });

  it('remembers at most maxUsers per hour (the rest are recorded every batch)', () => {
    const cache = new RecordedUsersCache(2);
    applyTo(cache, batch(T0 + 1_000, engaged('a'), engaged('b'), engaged('c')));
    expect(applyTo(cache, batch(T0 + 2_000, engaged('a'), engaged('b'), engaged('c')))).toEqual(['a', 'b']);
  });
});
