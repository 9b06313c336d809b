import { describeEnv, loadConfig } from '@app/config';
import { KafkaBatchServerOptions, OFF_PATH_FETCH_MIN_BYTES } from '@app/kafka';
import {
  ENRICHED_FETCH_BYTES_PER_PARTITION,
  ENRICHED_FETCH_MAX_BYTES,
  ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
} from '../aggregation/aggregator.settings';
import { enrichedEventsTransport } from '../stream-metrics/enriched-events.transport';
import { SERVICE_NAME, metricsAggregatorEnvSchema } from './metrics-aggregator.config';

// the options KafkaBatchServer builds its kafkajs client and consumer from
const transportOptions = (env: Record<string, string>): KafkaBatchServerOptions =>
  (
    enrichedEventsTransport(loadConfig(metricsAggregatorEnvSchema, env)) as unknown as {
      options: KafkaBatchServerOptions;
    }
  ).options;

describe('metrics-aggregator config', () => {
  it('defaults to its own ports and client id', () => {
    const config = loadConfig(metricsAggregatorEnvSchema, {});
    expect(config.common.port).toBe(3002);
    expect(config.common.grpcPort).toBe(50053);
    expect(config.kafka.clientId).toBe(SERVICE_NAME);
  });

  it('declares the shared variables it uses', () => {
    const names = describeEnv(metricsAggregatorEnvSchema).map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'KAFKA_BROKERS', 'REDIS_URL', 'TOPIC_RAW']));
    expect(names).toHaveLength(new Set(names).size);
  });

  it("gives its consumer the cluster's SASL credentials, the pod's group instance id and its group", () => {
    const options = transportOptions({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'aggregator',
      KAFKA_SASL_PASSWORD: 'pw',
      KAFKA_GROUP_INSTANCE_ID: 'metrics-aggregator-7d9f5-x2k4q',
    });
    expect(options).toMatchObject({
      clientId: SERVICE_NAME,
      sasl: { mechanism: 'scram-sha-512', username: 'aggregator', password: 'pw' },
      groupInstanceId: 'metrics-aggregator-7d9f5-x2k4q',
      groupId: loadConfig(metricsAggregatorEnvSchema, {}).aggregator.groupId,
    });
  });

  it('reads committed enriched events in fetches of at least 256 KiB or 100 ms (off the latency path)', () => {
    expect(transportOptions({})).toMatchObject({
      readCommitted: true,
      minBytes: OFF_PATH_FETCH_MIN_BYTES,
      maxWaitTimeMs: 100,
      partitionsConsumedConcurrently: ENRICHED_PARTITIONS_CONSUMED_CONCURRENTLY,
      maxBytesPerPartition: ENRICHED_FETCH_BYTES_PER_PARTITION,
      maxBytes: ENRICHED_FETCH_MAX_BYTES,
    });
  });
});
