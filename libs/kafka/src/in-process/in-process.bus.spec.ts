import { InProcessBus } from './in-process.bus';

describe('InProcessBus retention', () => {
  let now = 1_000_000;
  const clock = () => now;
  const values = (bus: InProcessBus, topic: string) =>
    bus
      .read(topic, 0, 0, 1_000)
      .map((m) => [m.offset, m.key?.toString() ?? null, m.value?.toString() ?? null]);

  it('keeps everything without a retention', () => {
    const bus = new InProcessBus({ clock });
    bus.createTopic('t', 1);
    bus.produce('t', [{ key: 'a', value: '1', partition: 0 }]);
    now += 10 * 24 * 3600_000;
    bus.produce('t', [{ key: 'a', value: '2', partition: 0 }]);
    expect(values(bus, 't')).toEqual([
      [0, 'a', '1'],
      [1, 'a', '2'],
    ]);
  });

  it('drops the records older than the retention; offsets and the high watermark go on', () => {
    const bus = new InProcessBus({ clock });
    bus.createTopic('events', 1, { retentionMs: 60_000 });
    bus.produce('events', [
      { key: 'a', value: 'old-1', partition: 0 },
      { key: 'b', value: 'old-2', partition: 0 },
    ]);
    now += 61_000;
    bus.produce('events', [{ key: 'a', value: 'new', partition: 0 }]);

    expect(values(bus, 'events')).toEqual([[2, 'a', 'new']]);
    expect(bus.highWatermark('events', 0)).toBe(3);
    // a reader behind the oldest kept record goes on from it (Kafka's earliest reset)
    expect(bus.read('events', 0, 1, 10).map((m) => m.offset)).toEqual([2]);
    expect(bus.read('events', 0, 3, 10)).toEqual([]);
  });

  it("compacted: keeps each key's last record past the retention, drops superseded ones and old tombstones", () => {
    const bus = new InProcessBus({ clock });
    bus.createTopic('feed', 1, { compacted: true, retentionMs: 60_000 });
    bus.produce('feed', [
      { key: 'live', value: 'v1', partition: 0 },
      { key: 'ended', value: 'last', partition: 0 },
      { key: 'erased', value: 'x', partition: 0 },
      { key: 'live', value: 'v2', partition: 0 },
      { key: 'erased', value: null, partition: 0 },
    ]);
    now += 30_000;
    bus.produce('feed', [{ key: 'live', value: 'v3', partition: 0 }]);
    now += 31_000;
    bus.produce('feed', [{ key: 'other', value: 'o', partition: 0 }]);

    // past the retention: 'ended' keeps its last record; 'live' keeps only its newer one; 'erased' is gone
    expect(values(bus, 'feed')).toEqual([
      [1, 'ended', 'last'],
      [5, 'live', 'v3'],
      [6, 'other', 'o'],
    ]);
    expect(bus.read('feed', 0, 2, 10).map((m) => m.offset)).toEqual([5, 6]);
    expect(bus.keptMessages('feed', 0)).toBe(3);
  });

  it('stays bounded under a steady stream of updates to a few keys', () => {
    const bus = new InProcessBus({ clock });
    bus.createTopic('feed', 1, { compacted: true, retentionMs: 10_000 });
    bus.createTopic('events', 1, { retentionMs: 10_000 });
    for (let second = 0; second < 3_600; second++) {
      now += 1_000;
      bus.produce('feed', [{ key: `k${second % 20}`, value: String(second), partition: 0 }]);
      bus.produce('events', [{ key: 'e', value: String(second), partition: 0 }]);
    }
    // within the retention (and its tenth of slack) plus one record per key
    expect(bus.keptMessages('events', 0)).toBeLessThanOrEqual(12);
    expect(bus.keptMessages('feed', 0)).toBeLessThanOrEqual(12 + 20);
    expect(bus.highWatermark('feed', 0)).toBe(3_600);
  });

  it('keeps a record that outlives its retention in memory of its own, not in a shared pool slab', () => {
    const bus = new InProcessBus({ clock });
    bus.createTopic('feed', 1, { compacted: true, retentionMs: 10_000 });
    bus.produce('feed', [{ key: 'ended', value: 'last', partition: 0 }]);
    const [written] = bus.read('feed', 0, 0, 1);
    expect(written.value?.buffer.byteLength).toBeGreaterThan(written.value?.byteLength ?? 0);
    now += 12_000;
    bus.produce('feed', [{ key: 'other', value: 'o', partition: 0 }]);
    const [kept] = bus.read('feed', 0, 0, 1);
    expect(kept.value?.toString()).toBe('last');
    expect(kept.value?.buffer.byteLength).toBe(4);
    expect(kept.key?.buffer.byteLength).toBe(5);
  });
});
