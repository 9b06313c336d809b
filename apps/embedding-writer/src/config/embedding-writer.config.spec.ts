import { describeEnv, loadConfig } from '@app/config';
import { SERVICE_NAME, embeddingWriterEnvSchema } from './embedding-writer.config';

describe('embedding-writer config', () => {
  it('defaults to its own ports and client id', () => {
    const config = loadConfig(embeddingWriterEnvSchema, {});
    expect(config.common.port).toBe(3003);
    expect(config.common.grpcPort).toBe(50054);
    expect(config.kafka.clientId).toBe(SERVICE_NAME);
  });

  it('declares the shared variables it uses', () => {
    const names = describeEnv(embeddingWriterEnvSchema).map((v) => v.name);
    expect(names).toEqual(
      expect.arrayContaining(['PORT', 'KAFKA_BROKERS', 'REDIS_URL', 'TOPIC_RAW', 'QDRANT_URL']),
    );
    expect(names).toHaveLength(new Set(names).size);
  });
});
