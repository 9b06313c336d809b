import { parseStreamMetricsSnapshot } from '@app/contracts';
import { CompactedRecord, CompactedTopicReader, KafkaConnectionOptions } from '@app/kafka';
import { Mesh } from './mesh';
import { sumSamples } from './prometheus-text';

/** What `npm run start:mesh` shows in its status line (the same figures as `npm start`'s). */
export interface MeshStatus {
  /** Events the enricher replicas handled since they started (a counter: rates are deltas). */
  events: number;
  /** Feed requests the recommender replicas answered since they started (a counter). */
  feedRequests: number;
  /** Streams the metrics change feed says are live now. */
  liveStreams: number;
  /** Data latency since the previous read, ms; null without samples. */
  latency: { p50: number; p99: number } | null;
}

export interface MeshStatusProbeOptions {
  kafka: KafkaConnectionOptions;
  /** The stream metrics change feed (TOPIC_METRICS_STREAMS). */
  metricsTopic: string;
  /** Per-scrape timeout of a service's /metrics, ms. Default 1,000. */
  scrapeTimeoutMs?: number;
}

/** The route label of the feed endpoint in `http_request_duration_seconds`. */
export const FEED_ROUTE = '/v1/users/:userId/feed';
/** Samples kept between two reads (a bounded window, not a histogram). */
const MAX_LATENCY_SAMPLES = 10_000;

/**
 * Latency samples between two reads: percentiles of what arrived since the previous `take()`.
 */
export class LatencyWindow {
  private samples: number[] = [];

  add(ms: number): void {
    if (this.samples.length < MAX_LATENCY_SAMPLES) this.samples.push(Math.max(0, ms));
  }

  take(): { p50: number; p99: number } | null {
    const sorted = this.samples.sort((a, b) => a - b);
    this.samples = [];
    if (sorted.length === 0) return null;
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { p50: at(0.5), p99: at(0.99) };
  }
}

/**
 * The mesh's figures, from outside: the enricher's and recommender's `/metrics` counters, and a
 * reader of the stream metrics change feed for the live set and the data latency (now - the
 * snapshot's last event time when the snapshot arrives here: event produced -> reflected in the
 * metrics the recommender ranks with; this reader sits where the recommender's does).
 */
export class MeshStatusProbe {
  private readonly live = new Set<string>();
  private readonly latency = new LatencyWindow();
  private readonly reader: CompactedTopicReader;

  constructor(
    private readonly mesh: Mesh,
    private readonly options: MeshStatusProbeOptions,
  ) {
    this.reader = new CompactedTopicReader(
      { kafka: options.kafka, topic: options.metricsTopic, groupIdPrefix: 'nowcast-mesh-status' },
      (records) => this.apply(records),
    );
  }

  start(): Promise<void> {
    return this.reader.start();
  }

  stop(): Promise<void> {
    return this.reader.stop();
  }

  async read(): Promise<MeshStatus> {
    const [events, feedRequests] = await Promise.all([
      this.scrape('event-enricher', (text) => sumSamples(text, 'nowcast_events_consumed_total')),
      this.scrape('recommender-api', (text) =>
        sumSamples(text, 'http_request_duration_seconds_count', { route: FEED_ROUTE }),
      ),
    ]);
    return { events, feedRequests, liveStreams: this.live.size, latency: this.latency.take() };
  }

  private async scrape(service: 'event-enricher' | 'recommender-api', value: (text: string) => number) {
    const replicas = this.mesh.all().filter((p) => p.options.service === service && p.running);
    const values = await Promise.all(
      replicas.map(async (replica) => {
        try {
          const response = await fetch(`${replica.httpUrl}/metrics`, {
            signal: AbortSignal.timeout(this.options.scrapeTimeoutMs ?? 1_000),
          });
          return response.ok ? value(await response.text()) : 0;
        } catch {
          return 0; // a replica restarting: its counter is gone anyway
        }
      }),
    );
    return values.reduce((a, b) => a + b, 0);
  }

  private apply(records: readonly CompactedRecord[]): void {
    const now = Date.now();
    // while replaying the compacted history the ages say nothing about the pipeline
    const sample = this.reader.caughtUp;
    for (const record of records) {
      if (record.value === null || record.value.length === 0) {
        this.live.delete(record.key);
        continue;
      }
      try {
        const snapshot = parseStreamMetricsSnapshot(record.value.toString('utf8'));
        if (snapshot.live) this.live.add(record.key);
        else this.live.delete(record.key);
        if (sample) this.latency.add(now - snapshot.lastEventAt);
      } catch {
        // not a snapshot of this contract version: not ours to judge here
      }
    }
  }
}
