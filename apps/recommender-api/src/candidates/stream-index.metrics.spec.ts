import { InProcessVectorStore } from '@app/vector-store';
import { Registry } from 'prom-client';
import { registerStreamIndexMetrics } from './stream-index.metrics';

const unit = (seed: number, dimension: number): number[] => {
  const v = Array.from({ length: dimension }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};

describe('registerStreamIndexMetrics', () => {
  it('reports the points and the HNSW update paths of the store at scrape time', async () => {
    const dimension = 8;
    // exact search off: the graph exists from the first point, so updates are counted
    const store = new InProcessVectorStore({ dimension, exactSearchThreshold: 0 });
    const registry = new Registry();
    registerStreamIndexMetrics(registry, store);
    const points = Array.from({ length: 50 }, (_, i) => ({
      id: `s${i}`,
      vector: unit(i, dimension),
      payload: {},
    }));
    await store.upsert(points);
    // a tiny move (in place) and a large one (full update) of points the graph holds
    const moved = unit(3, dimension).map((x, i) => (i === 0 ? x + 1e-3 : x));
    await store.upsert([
      { id: 's3', vector: moved, payload: {} },
      { id: 's4', vector: unit(1_000, dimension), payload: {} },
    ]);

    const text = await registry.metrics();
    const stats = store.stats();
    expect(stats.annActive).toBe(true);
    expect(text).toContain('nowcast_stream_index_points 50');
    const updates = (kind: string): number =>
      Number(new RegExp(`nowcast_stream_index_updates_total\\{kind="${kind}"\\} (\\d+)`).exec(text)?.[1]);
    expect(updates('inPlace')).toBe(stats.annUpdates.inPlace);
    expect(updates('relinked')).toBe(stats.annUpdates.relinked);
    expect(updates('full')).toBe(stats.annUpdates.full);
    expect(updates('inPlace') + updates('relinked') + updates('full')).toBe(2);
    expect(Number(/nowcast_stream_index_graph_bytes (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
  });
});
