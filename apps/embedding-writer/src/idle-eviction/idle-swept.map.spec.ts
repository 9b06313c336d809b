import { IdleSweptMap, IdleTracked } from './idle-swept.map';

const DAY = 24 * 3600_000;
const entry = (at: number): IdleTracked => ({ at, placedAt: at });

/** Raises an entry's activity the way the map's owners do. */
function touch(map: IdleSweptMap<IdleTracked>, key: string, at: number): void {
  const value = map.get(key)!;
  value.at = at;
  map.touched(key, value);
}

describe('IdleSweptMap', () => {
  it('drops the entries idle for longer than idleMs of event time, and only those', () => {
    const map = new IdleSweptMap<IdleTracked>(7 * DAY);
    map.add('old', entry(0));
    map.add('recent', entry(5 * DAY));
    const dropped: string[] = [];
    expect(map.sweep(7 * DAY, (key) => dropped.push(key))).toBe(0);
    expect(map.sweep(7 * DAY + 1, (key) => dropped.push(key))).toBe(1);
    expect(dropped).toEqual(['old']);
    expect(map.has('old')).toBe(false);
    expect(map.get('recent')).toEqual(entry(5 * DAY));
  });

  it('keeps an entry placed early but active since, whether or not it was moved', () => {
    const map = new IdleSweptMap<IdleTracked>(8 * DAY);
    map.add('a', entry(0));
    map.add('b', entry(0));
    map.add('c', entry(0));
    // 'a': active half a day later (under idle/8: not moved); 'b': two days later (moved to the back)
    touch(map, 'a', 0.5 * DAY);
    touch(map, 'b', 2 * DAY);
    expect(map.get('a')!.placedAt).toBe(0);
    expect(map.get('b')!.placedAt).toBe(2 * DAY);
    // cutoff 0.75 days: 'a' (last active at 0.5) and 'c' are idle, 'b' (active at 2) is not
    expect(map.sweep(8.75 * DAY)).toBe(2);
    expect([map.has('a'), map.has('b'), map.has('c')]).toEqual([false, true, false]);
  });

  it('reads only the front: a sweep stops at the first entry placed within the idle period', () => {
    const map = new IdleSweptMap<IdleTracked>(DAY);
    for (let i = 0; i < 1000; i++) map.add(`u${i}`, entry(i * 60_000));
    const seen: string[] = [];
    // 1,000 entries one minute apart; a day and ten minutes after the first, ten are idle
    expect(map.sweep(DAY + 10 * 60_000 - 1, (key) => seen.push(key))).toBe(10);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`));
    expect(map.size).toBe(990);
  });

  it('moves a still-active front entry to the back instead of dropping it', () => {
    const map = new IdleSweptMap<IdleTracked>(8 * DAY);
    map.add('active', entry(0));
    map.add('idle', entry(0.1 * DAY));
    touch(map, 'active', 0.9 * DAY); // under idle/8: stays at the front
    // cutoff 0.5 days: the front entry is active since, the one behind it is not
    expect(map.sweep(8.5 * DAY)).toBe(1);
    expect(map.has('active')).toBe(true);
    expect(map.get('active')!.placedAt).toBe(0.9 * DAY);
    expect(map.has('idle')).toBe(false);
  });

  it('never drops with an infinite idle period, and forgets deleted entries', () => {
    const map = new IdleSweptMap<IdleTracked>(Number.POSITIVE_INFINITY);
    map.add('u', entry(0));
    touch(map, 'u', 1e15);
    expect(map.sweep(1e16)).toBe(0);
    expect(map.delete('u')).toBe(true);
    expect(map.size).toBe(0);
  });
});
