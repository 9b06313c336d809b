import { describeEnv, loadConfig } from '@app/config';
import { KafkaBatchServerOptions, OFF_PATH_FETCH_MIN_BYTES } from '@app/kafka';
import { SERVICE_NAME, embeddingWriterEnvSchema } from './embedding-writer.config';
import { embeddingWriterTransport } from '../writer/embedding-writer-feature.module';

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

  it("gives its consumer the cluster's SASL credentials and the pod's group instance id", () => {
    const config = loadConfig(embeddingWriterEnvSchema, {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'writer',
      KAFKA_SASL_PASSWORD: 'pw',
      KAFKA_GROUP_INSTANCE_ID: 'embedding-writer-7d9f5-x2k4q',
    });
    const transport = embeddingWriterTransport({ ...config, serviceName: SERVICE_NAME });
    // the options KafkaBatchServer builds its kafkajs client and consumer from
    const options = (transport as unknown as { options: KafkaBatchServerOptions }).options;
    expect(options).toMatchObject({
      sasl: { mechanism: 'scram-sha-512', username: 'writer', password: 'pw' },
      groupInstanceId: 'embedding-writer-7d9f5-x2k4q',
    });
  });

  it('fetches the enriched topic in batches of at least 256 KiB or 100 ms (off the latency path)', () => {
    const config = loadConfig(embeddingWriterEnvSchema, {});
    const transport = embeddingWriterTransport({ ...config, serviceName: SERVICE_NAME });
    const options = (transport as unknown as { options: KafkaBatchServerOptions }).options;
    expect(options).toMatchObject({ minBytes: OFF_PATH_FETCH_MIN_BYTES, maxWaitTimeMs: 100 });
    expect(OFF_PATH_FETCH_MIN_BYTES).toBe(256 * 1024);
  });

  it("drops idle users after the enriched topic's retention by default; 0 keeps them for good", () => {
    expect(loadConfig(embeddingWriterEnvSchema, {}).writer.userIdleMs).toBe(7 * 24 * 3600_000);
    const never = loadConfig(embeddingWriterEnvSchema, { EMBEDDING_USER_IDLE_SEC: '0' });
    expect(never.writer.userIdleMs).toBe(Number.POSITIVE_INFINITY);
    expect(() => loadConfig(embeddingWriterEnvSchema, { EMBEDDING_USER_IDLE_SEC: '-1' })).toThrow(
      /EMBEDDING_USER_IDLE_SEC/,
    );
  });

  it("keeps a user's vector in Redis 30 days after the last engagement by default; 0 (never) or at least a day", () => {
    expect(loadConfig(embeddingWriterEnvSchema, {}).writer.userVectorTtlSec).toBe(30 * 86_400);
    const never = loadConfig(embeddingWriterEnvSchema, { EMBEDDING_USER_VECTOR_TTL_SEC: '0' });
    expect(never.writer.userVectorTtlSec).toBe(0);
    expect(
      loadConfig(embeddingWriterEnvSchema, { EMBEDDING_USER_VECTOR_TTL_SEC: '86400' }).writer
        .userVectorTtlSec,
    ).toBe(86_400);
    expect(() => loadConfig(embeddingWriterEnvSchema, { EMBEDDING_USER_VECTOR_TTL_SEC: '3600' })).toThrow(
      /EMBEDDING_USER_VECTOR_TTL_SEC must be 0 \(never\) or at least 86400 seconds/,
    );
    expect(() => loadConfig(embeddingWriterEnvSchema, { EMBEDDING_USER_VECTOR_TTL_SEC: 'soon' })).toThrow(
      /EMBEDDING_USER_VECTOR_TTL_SEC/,
    );
  });
});
