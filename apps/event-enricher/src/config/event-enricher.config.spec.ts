import { describeEnv, loadConfig } from '@app/config';
import { SERVICE_NAME, eventEnricherEnvSchema } from './event-enricher.config';

describe('event-enricher config', () => {
  it('defaults to its own ports and client id', () => {
    const config = loadConfig(eventEnricherEnvSchema, {});
    expect(config.common.port).toBe(3001);
    expect(config.common.grpcPort).toBe(50052);
    expect(config.kafka.clientId).toBe(SERVICE_NAME);
  });

  it('shares one transaction among the batches of a fetch unless told to run one per partition batch', () => {
    const { enricher } = loadConfig(eventEnricherEnvSchema, {});
    expect(enricher.transactionScope).toBe('group');
    expect(enricher.partitionsConcurrently).toBe(6); // every partition of a fetch in one transaction
    const partition = loadConfig(eventEnricherEnvSchema, { ENRICHER_TRANSACTION_SCOPE: 'partition' });
    expect(partition.enricher.transactionScope).toBe('partition');
    expect(() => loadConfig(eventEnricherEnvSchema, { ENRICHER_TRANSACTION_SCOPE: 'fetch' })).toThrow(
      'ENRICHER_TRANSACTION_SCOPE',
    );
  });

  it('runs the lifecycle fast lane to its own topic unless told not to', () => {
    const { enricher, topics } = loadConfig(eventEnricherEnvSchema, {});
    expect(enricher.lifecycleFastLane).toBe(true);
    expect(topics.names.streamLifecycleFast).toBe('nowcast.streams.lifecycle-fast.v1');
    const off = loadConfig(eventEnricherEnvSchema, { ENRICHER_LIFECYCLE_FAST_LANE: 'false' });
    expect(off.enricher.lifecycleFastLane).toBe(false);
    expect(() => loadConfig(eventEnricherEnvSchema, { ENRICHER_LIFECYCLE_FAST_LANE: 'yes' })).toThrow(
      'ENRICHER_LIFECYCLE_FAST_LANE',
    );
  });

  it('lets the round fetch wait for a larger batch only while the fast lane carries new streams', () => {
    expect(loadConfig(eventEnricherEnvSchema, {}).enricher.fetchMinBytes).toBe(256 * 1024);
    const laneOff = loadConfig(eventEnricherEnvSchema, { ENRICHER_LIFECYCLE_FAST_LANE: 'false' });
    expect(laneOff.enricher.fetchMinBytes).toBe(1);
    const explicit = loadConfig(eventEnricherEnvSchema, {
      ENRICHER_LIFECYCLE_FAST_LANE: 'false',
      ENRICHER_FETCH_MIN_BYTES: '65536',
    });
    expect(explicit.enricher.fetchMinBytes).toBe(65536);
    expect(() => loadConfig(eventEnricherEnvSchema, { ENRICHER_FETCH_MIN_BYTES: '0' })).toThrow(
      'ENRICHER_FETCH_MIN_BYTES',
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
