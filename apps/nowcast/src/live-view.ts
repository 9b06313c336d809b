import { parseStreamMetricsSnapshot } from '@app/contracts';
import { InProcessBus } from '@app/kafka';
import {
  InProcessVectorStore,
  InvalidEmbeddingRecordError,
  VectorPoint,
  decodeStreamVectorRecord,
} from '@app/vector-store';
import { BusTail, TailedRecord } from './bus-tail';

export interface LiveViewTopics {
  metricsStreams: string;
  streamLifecycle: string;
  watermarks: string;
  embeddingsStreams: string;
}

/** Where the tailed change feeds go: the recommender's caches (LiveMetricsCache, WatermarkTracker). */
export interface LiveViewTargets {
  metrics(records: readonly TailedRecord[]): void;
  lifecycle(records: readonly TailedRecord[]): void;
  watermarks(records: readonly TailedRecord[]): void;
}

/** Samples of data latency kept between two status reads (a bounded window, not a histogram). */
const MAX_LATENCY_SAMPLES = 10_000;

/**
 * The recommender's view of the in-process change feeds: the stream vectors (the StreamReplica's
 * twin: an InProcessVectorStore fed from the compacted embeddings topic), the live-metrics and
 * watermark caches, and the figures of the status line (live streams, data latency).
 */
export class LiveView {
  readonly store: InProcessVectorStore;
  private readonly live = new Set<string>();
  private latencies: number[] = [];
  private readonly tails: BusTail[];

  constructor(bus: InProcessBus, topics: LiveViewTopics, dimension: number, targets: LiveViewTargets) {
    this.store = new InProcessVectorStore({ dimension });
    this.tails = [
      new BusTail(bus, topics.metricsStreams, (records) => {
        this.observeMetrics(records);
        targets.metrics(records);
      }),
      new BusTail(bus, topics.streamLifecycle, (records) => targets.lifecycle(records)),
      new BusTail(bus, topics.watermarks, (records) => targets.watermarks(records)),
      new BusTail(bus, topics.embeddingsStreams, (records) => this.applyVectors(records, dimension)),
    ];
  }

  start(): void {
    for (const tail of this.tails) tail.start();
  }

  stop(): void {
    for (const tail of this.tails) tail.stop();
  }

  /** Streams the metrics feed says are live now. */
  get liveStreams(): number {
    return this.live.size;
  }

  /** p50/p99 of (snapshot seen here - its last event's time), ms, since the last call; null without samples. */
  takeLatency(): { p50: number; p99: number } | null {
    const samples = this.latencies.sort((a, b) => a - b);
    this.latencies = [];
    if (samples.length === 0) return null;
    const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
    return { p50: at(0.5), p99: at(0.99) };
  }

  private observeMetrics(records: readonly TailedRecord[]): void {
    const now = Date.now();
    for (const record of records) {
      if (record.value === null) {
        this.live.delete(record.key);
        continue;
      }
      const snapshot = parseStreamMetricsSnapshot(record.value.toString('utf8'));
      if (snapshot.endedAt === undefined) this.live.add(record.key);
      else this.live.delete(record.key);
      if (this.latencies.length < MAX_LATENCY_SAMPLES)
        this.latencies.push(Math.max(0, now - snapshot.lastEventAt));
    }
  }

  private applyVectors(records: readonly TailedRecord[], dimension: number): void {
    // last record per key wins (compaction semantics), as in StreamReplica
    const latest = new Map<string, VectorPoint | null>();
    for (const record of records) {
      if (record.value === null || record.value.length === 0) {
        latest.set(record.key, null);
        continue;
      }
      try {
        const decoded = decodeStreamVectorRecord(record.value, dimension);
        latest.set(record.key, { id: record.key, vector: decoded.vector, payload: decoded.payload });
      } catch (error) {
        if (!(error instanceof InvalidEmbeddingRecordError)) throw error;
      }
    }
    const upserts = [...latest.values()].filter((p): p is VectorPoint => p !== null);
    const deletes = [...latest].filter(([, p]) => p === null).map(([id]) => id);
    // the store's promises settle synchronously in memory; a failure here is a bug worth crashing on
    void (async () => {
      if (deletes.length > 0) await this.store.delete(deletes);
      if (upserts.length > 0) await this.store.upsert(upserts);
    })();
  }
}
