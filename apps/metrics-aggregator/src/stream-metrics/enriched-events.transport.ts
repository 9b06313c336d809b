import { KafkaBatchServer, OFF_PATH_FETCH_MIN_BYTES, kafkaConnectionOf } from '@app/kafka';
import {
  ENRICHED_FETCH_BYTES_PER_PARTITION,
  ENRICHED_FETCH_MAX_BYTES,
  ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
} from '../aggregation/aggregator.settings';
import { MetricsAggregatorConfig } from '../config/metrics-aggregator.config';

/**
 * The consumer of the enriched topic the aggregator's module connects. Read committed: the
 * enricher writes in transactions. Batches of several partitions overlap (one folds while Redis
 * runs another's script).
 */
export function enrichedEventsTransport(config: MetricsAggregatorConfig): KafkaBatchServer {
  return new KafkaBatchServer({
    ...kafkaConnectionOf(config.kafka),
    groupId: config.aggregator.groupId,
    groupInstanceId: config.kafka.groupInstanceId,
    offsetCommitIntervalMs: config.kafka.offsetCommitIntervalMs,
    readCommitted: true,
    maxWaitTimeMs: 100,
    // off the feed's latency path (starts and ends reach it through the enricher's fast lane and
    // lifecycle feed)
    minBytes: OFF_PATH_FETCH_MIN_BYTES,
    partitionsConsumedConcurrently: ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
    maxBytesPerPartition: ENRICHED_FETCH_BYTES_PER_PARTITION,
    maxBytes: ENRICHED_FETCH_MAX_BYTES,
  });
}
