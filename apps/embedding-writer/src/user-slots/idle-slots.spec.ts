import { IdleSlots } from './idle-slots';
import { PagedSlab } from './paged-slab';

const DAY = 24 * 3600_000;

describe('IdleSlots', () => {
  it('drops the keys idle for longer than idleMs of event time, and only those', () => {
    const slots = new IdleSlots(7 * DAY);
    const old = slots.add('old', 0);
    slots.add('recent', 5 * DAY);
    const dropped: [string, number][] = [];
    expect(slots.sweep(7 * DAY, (key, slot) => dropped.push([key, slot]))).toBe(0);
    expect(slots.sweep(7 * DAY + 1, (key, slot) => dropped.push([key, slot]))).toBe(1);
    expect(dropped).toEqual([['old', old]]);
    expect(slots.slotOf('old')).toBeUndefined();
    expect(slots.lastActiveAt(slots.slotOf('recent')!)).toBe(5 * DAY);
  });

  it('keeps a key placed early but active since, whether or not it was moved', () => {
    const slots = new IdleSlots(8 * DAY);
    for (const key of ['a', 'b', 'c']) slots.add(key, 0);
    // 'a': active half a day later (under idle/8: not moved); 'b': two days later (moved to the back)
    slots.touch('a', slots.slotOf('a')!, 0.5 * DAY);
    slots.touch('b', slots.slotOf('b')!, 2 * DAY);
    // cutoff 0.75 days: 'a' (last active at 0.5) and 'c' are idle, 'b' (active at 2) is not
    expect(slots.sweep(8.75 * DAY)).toBe(2);
    expect(['a', 'b', 'c'].map((key) => slots.slotOf(key) !== undefined)).toEqual([false, true, false]);
  });

  it('reads only the front: a sweep stops at the first key placed within the idle period', () => {
    const slots = new IdleSlots(DAY);
    for (let i = 0; i < 1000; i++) slots.add(`u${i}`, i * 60_000);
    const seen: string[] = [];
    // 1,000 keys one minute apart; a day and ten minutes after the first, ten are idle
    expect(slots.sweep(DAY + 10 * 60_000 - 1, (key) => seen.push(key))).toBe(10);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`));
    expect(slots.size).toBe(990);
  });

  it('moves a still-active front key to the back instead of dropping it', () => {
    const slots = new IdleSlots(8 * DAY);
    slots.add('active', 0);
    slots.add('idle', 0.1 * DAY);
    slots.touch('active', slots.slotOf('active')!, 0.9 * DAY); // under idle/8: stays at the front
    // cutoff 0.5 days: the front key is active since, the one behind it is not
    expect(slots.sweep(8.5 * DAY)).toBe(1);
    expect(slots.slotOf('active')).toBeDefined();
    expect(slots.slotOf('idle')).toBeUndefined();
  });

  it('keeps the latest activity (an earlier event does not move it back) and reuses freed slots', () => {
    const slots = new IdleSlots(DAY);
    const a = slots.add('a', 1000);
    slots.touch('a', a, 500);
    expect(slots.lastActiveAt(a)).toBe(1000);
    slots.delete('a');
    expect(slots.add('b', 2000)).toBe(a);
    expect(slots.lastActiveAt(a)).toBe(2000);
  });

  it('never drops with an infinite idle period', () => {
    const slots = new IdleSlots(Number.POSITIVE_INFINITY);
    slots.touch('u', slots.add('u', 0), 1e15);
    expect(slots.sweep(1e16)).toBe(0);
    expect(slots.delete('u')).toBe(true);
    expect(slots.size).toBe(0);
  });
});

describe('PagedSlab', () => {
  it('keeps each slot its own record across pages, without moving earlier pages', () => {
    const slab = new PagedSlab((n) => new Float32Array(n), 3);
    const first = slab.page(0);
    slab.view(5000).set([1, 2, 3]);
    slab.view(4095).set([4, 5, 6]);
    expect(slab.page(0)).toBe(first);
    expect(Array.from(slab.view(5000))).toEqual([1, 2, 3]);
    expect(Array.from(slab.view(4095))).toEqual([4, 5, 6]);
    expect(Array.from(slab.view(4096))).toEqual([0, 0, 0]);
    expect(slab.page(4095)).not.toBe(slab.page(4096));
  });
});
