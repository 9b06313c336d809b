import type { InProcessVectorStoreStats } from '@app/vector-store';
import { Counter, Gauge, Registry } from 'prom-client';

/** What the exporter reads: the in-process store's own counters (InProcessVectorStore.stats()). */
export interface StreamIndexStatsSource {
  stats(): InProcessVectorStoreStats;
}

const UPDATE_KINDS = ['inPlace', 'relinked', 'full'] as const;

/**
 * The in-process stream index as scrape-time metrics: read from the store's counters when
 * Prometheus scrapes, so the write path pays nothing. The update counter shows which HNSW update
 * path the writer's drift takes (inPlace: vector replaced; relinked: point re-linked; full:
 * hnswlib's full update), the place to look when the recommender's CPU after a burst grows.
 */
export function registerStreamIndexMetrics(registry: Registry, source: StreamIndexStatsSource): void {
  const registers = [registry];
  new Gauge({
    name: 'nowcast_stream_index_points',
    help: 'Live stream vectors held by the in-process index.',
    registers,
    // every worker of a cluster holds the same replica: merged as one index, not summed
    aggregator: 'max',
    collect() {
      this.set(source.stats().points);
    },
  });
  new Gauge({
    name: 'nowcast_stream_index_graph_bytes',
    help: "Estimated bytes of the index's HNSW graph (0 while search is exact).",
    registers,
    aggregator: 'max',
    collect() {
      this.set(source.stats().annBytesEstimate);
    },
  });
  new Counter({
    name: 'nowcast_stream_index_updates_total',
    help: 'Updates of vectors already in the HNSW graph, by the path they took.',
    labelNames: ['kind'],
    registers,
    collect() {
      // the store counts monotonically; a counter's value can only be set by reset + inc
      const counts = source.stats().annUpdates;
      this.reset();
      for (const kind of UPDATE_KINDS) this.inc({ kind }, counts[kind]);
    },
  });
}
