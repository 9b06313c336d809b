import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from sub-millisecond hops up to a minute of backlog. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/**
 * The metric families of the Kafka pipeline, shared by every service so dashboards work the same
 * everywhere. Hot paths should count per batch (`inc(n)`), not per event.
 */
export class PipelineMetrics {
  /** Events handled from a topic, by event type. */
  readonly consumed: Counter<'type'>;
  /** Events written to a topic, by event type. */
  readonly produced: Counter<'type'>;
  /** Client duplicates (same eventId) dropped, by event type. */
  readonly deduplicated: Counter<'type'>;
  /** Poison messages sent to the dead-letter topic, by type (or `unknown`) and reason (error class). */
  readonly deadLettered: Counter<'type' | 'reason'>;
  /** Wall time of one handler batch, seconds. */
  readonly batchSeconds: Histogram<'topic'>;
  /** now - occurredAt when an event is handled, seconds. */
  readonly eventAgeSeconds: Histogram<'type'>;
  /** Messages between the committed offset and the high watermark. */
  readonly consumerLag: Gauge<'topic' | 'partition'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.consumed = new Counter({
      name: 'nowcast_events_consumed_total',
      help: 'Events handled from Kafka, by type.',
      labelNames: ['type'],
      registers,
    });
    this.produced = new Counter({
      name: 'nowcast_events_produced_total',
      help: 'Events produced to Kafka, by type.',
      labelNames: ['type'],
      registers,
    });
    this.deduplicated = new Counter({
      name: 'nowcast_events_deduplicated_total',
      help: 'Duplicate events (same eventId) dropped, by type.',
      labelNames: ['type'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'nowcast_events_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by type and reason.',
      labelNames: ['type', 'reason'],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'nowcast_batch_processing_seconds',
      help: 'Time to process one consumed batch, seconds.',
      labelNames: ['topic'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.eventAgeSeconds = new Histogram({
      name: 'nowcast_event_age_seconds',
      help: 'Age of an event when handled (now - occurredAt), seconds.',
      labelNames: ['type'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'nowcast_consumer_lag',
      help: 'Consumer lag in messages, per topic and partition.',
      labelNames: ['topic', 'partition'],
      registers,
    });
  }

  /** Records the age of an event handled at `nowMs` (both epoch ms); clock skew clamps to 0. */
  observeEventAge(type: string, occurredAtMs: number, nowMs: number = Date.now()): void {
    this.eventAgeSeconds.observe({ type }, Math.max(0, nowMs - occurredAtMs) / 1000);
  }

  /** Starts timing a batch; call the returned function when the batch is done. */
  startBatch(topic: string): () => void {
    const end = this.batchSeconds.startTimer({ topic });
    return () => {
      end();
    };
  }

  setLag(topic: string, partition: number, lag: number): void {
    this.consumerLag.set({ topic, partition: String(partition) }, lag);
  }

  /**
   * A transport observer (structurally @app/kafka's TransportObserver): batch time and lag per
   * partition for every batch a consumer handled.
   */
  transportObserver(): {
    onBatch(topic: string, partition: number, size: number, durationMs: number, lag: number): void;
  } {
    return {
      onBatch: (topic, partition, _size, durationMs, lag) => {
        this.batchSeconds.observe({ topic }, durationMs / 1000);
        this.setLag(topic, partition, lag);
      },
    };
  }
}
