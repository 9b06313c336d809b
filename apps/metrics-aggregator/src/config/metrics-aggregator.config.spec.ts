import { describeEnv, loadConfig } from '@app/config';
import { SERVICE_NAME, metricsAggregatorEnvSchema } from './metrics-aggregator.config';

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
});
