import { describeEnv, loadConfig } from '@app/config';
import { SERVICE_NAME, eventEnricherEnvSchema } from './event-enricher.config';

describe('event-enricher config', () => {
  it('defaults to its own ports and client id', () => {
    const config = loadConfig(eventEnricherEnvSchema, {});
    expect(config.common.port).toBe(3001);
    expect(config.common.grpcPort).toBe(50052);
    expect(config.kafka.clientId).toBe(SERVICE_NAME);
  });

  it('runs one transaction per raw-partition batch unless told to share them per fetch', () => {
    expect(loadConfig(eventEnricherEnvSchema, {}).enricher.transactionScope).toBe('partition');
    const group = loadConfig(eventEnricherEnvSchema, { ENRICHER_TRANSACTION_SCOPE: 'group' });
    expect(group.enricher.transactionScope).toBe('group');
    expect(() => loadConfig(eventEnricherEnvSchema, { ENRICHER_TRANSACTION_SCOPE: 'fetch' })).toThrow(
      'ENRICHER_TRANSACTION_SCOPE',
    );
  });

  it('declares the shared variables it uses', () => {
    const names = describeEnv(eventEnricherEnvSchema).map((v) => v.name);
    expect(names).toEqual(
      expect.arrayContaining(['PORT', 'KAFKA_BROKERS', 'REDIS_URL', 'TOPIC_RAW', 'API_KEYS']),
    );
    expect(names).toHaveLength(new Set(names).size);
  });
});
