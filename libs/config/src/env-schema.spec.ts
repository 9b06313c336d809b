import { DEFAULT_TOPICS } from '@app/contracts';
import { apiKeysEnv } from './api-keys.env';
import { commonEnv } from './common.env';
import { ConfigValidationError } from './config-validation.error';
import { describeEnv, defineEnvSchema, loadConfig } from './env-schema';
import { kafkaEnv } from './kafka.env';
import { qdrantEnv } from './qdrant.env';
import { redisEnv } from './redis.env';
import { topicsEnv } from './topics.env';

const schema = defineEnvSchema({
  common: commonEnv({ port: 3001, grpcPort: 50052 }),
  kafka: kafkaEnv({ clientId: 'test-app' }),
  redis: redisEnv(),
  qdrant: qdrantEnv(),
  apiKeys: apiKeysEnv(),
  topics: topicsEnv(),
});

function problemsOf(env: Record<string, string>): Map<string, string[]> {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigValidationError)
      return new Map(error.problems.map((p) => [p.variable, p.messages]));
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('loadConfig', () => {
  it('applies the defaults of every group to an empty environment', () => {
    const config = loadConfig(schema, {});
    expect(config.common).toEqual({
      nodeEnv: 'development',
      logLevel: 'info',
      port: 3001,
      grpcPort: 50052,
      requestLog: { slowMs: 500, sampleRate: 0 },
    });
    expect(config.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      ssl: false,
      clientId: 'test-app',
      offsetCommitIntervalMs: 100,
    });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379' });
    expect(config.qdrant).toBeUndefined();
    expect(config.apiKeys.size).toBe(0);
    expect(config.topics.names).toEqual(DEFAULT_TOPICS);
    expect(config.topics.partitions.raw).toBe(6);
    expect(config.topics.partitions.deadLetter).toBe(1);
  });

  it('reads and converts set variables, treating empty strings as unset', () => {
    const config = loadConfig(schema, {
      NODE_ENV: 'production',
      LOG_LEVEL: 'debug',
      PORT: '8080',
      GRPC_PORT: '',
      KAFKA_BROKERS: 'k1:9092, k2:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'pw',
      KAFKA_GROUP_INSTANCE_ID: 'event-enricher-5f7b9c-x2k4q',
      KAFKA_OFFSET_COMMIT_INTERVAL_MS: '250',
      QDRANT_URL: 'http://qdrant:6333',
      QDRANT_API_KEY: 'qk',
      REDIS_KEY_PREFIX: 'nc:',
      TOPIC_RAW: 'raw.v9',
      TOPIC_PARTITIONS: '12',
    });
    expect(config.common).toEqual({
      nodeEnv: 'production',
      logLevel: 'debug',
      port: 8080,
      grpcPort: 50052,
      requestLog: { slowMs: 500, sampleRate: 0 },
    });
    expect(config.kafka).toEqual({
      brokers: ['k1:9092', 'k2:9093'],
      ssl: true,
      clientId: 'test-app',
      groupInstanceId: 'event-enricher-5f7b9c-x2k4q',
      offsetCommitIntervalMs: 250,
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'pw' },
    });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', keyPrefix: 'nc:' });
    expect(config.qdrant).toEqual({ url: 'http://qdrant:6333', apiKey: 'qk' });
    expect(config.topics.names.raw).toBe('raw.v9');
    expect(config.topics.partitions).toMatchObject({ raw: 12, enriched: 12, deadLetter: 1, watermarks: 1 });
  });

  it('lists every bad variable at once, without echoing values', () => {
    const problems = problemsOf({
      NODE_ENV: 'staging',
      LOG_LEVEL: 'loud',
      PORT: 'eighty',
      GRPC_PORT: '70000',
      KAFKA_BROKERS: 'nohostport',
      KAFKA_SSL: 'yes',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_GROUP_INSTANCE_ID: 'pod name',
      KAFKA_OFFSET_COMMIT_INTERVAL_MS: '-1',
      REDIS_URL: 'http://redis:6379',
      QDRANT_URL: 'not a url',
      API_KEYS: 'ingest:k1;root:supersecret',
      TOPIC_ENRICHED: 'bad topic!',
      TOPIC_PARTITIONS: '0',
    });
    expect([...problems.keys()].sort()).toEqual(
      [
        'API_KEYS',
        'GRPC_PORT',
        'KAFKA_BROKERS',
        'KAFKA_GROUP_INSTANCE_ID',
        'KAFKA_OFFSET_COMMIT_INTERVAL_MS',
        'KAFKA_SASL_PASSWORD',
        'KAFKA_SASL_USERNAME',
        'KAFKA_SSL',
        'LOG_LEVEL',
        'NODE_ENV',
        'PORT',
        'QDRANT_URL',
        'REDIS_URL',
        'TOPIC_ENRICHED',
        'TOPIC_PARTITIONS',
      ].sort(),
    );
    expect(problems.get('API_KEYS')?.join()).toContain('unknown scope "root"');
    expect([...problems.values()].flat().join('\n')).not.toContain('supersecret');
  });

  it('puts every problem in the error message', () => {
    expect(() => loadConfig(schema, { PORT: '-1', LOG_LEVEL: 'x' })).toThrow(
      /Invalid environment \(2 variables\):\n {2}- LOG_LEVEL: .*\n {2}- PORT: /,
    );
  });

  it('returns a deeply frozen object, API key map and sets included', () => {
    const config = loadConfig(schema, { API_KEYS: 'read:r1' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka.brokers)).toBe(true);
    expect(() => {
      (config.common as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (config.apiKeys as Map<string, Set<string>>).set('admin', new Set())).toThrow(TypeError);
    expect(() => (config.apiKeys.get('read') as Set<string>).add('r2')).toThrow(TypeError);
    expect(config.apiKeys.get('read')?.has('r1')).toBe(true);
  });

  it('refuses a schema where two groups declare the same variable', () => {
    expect(() => defineEnvSchema({ a: redisEnv(), b: redisEnv() })).toThrow(
      'REDIS_URL is declared by two env groups',
    );
  });
});

describe('describeEnv', () => {
  const rows = new Map(describeEnv(schema).map((row) => [row.name, row]));

  it('describes type, default, requirement, secrecy and allowed values', () => {
    expect(rows.get('PORT')).toEqual({
      name: 'PORT',
      type: 'integer',
      required: false,
      default: '3001',
      description: expect.stringContaining('HTTP port') as string,
      secret: false,
    });
    expect(rows.get('NODE_ENV')).toMatchObject({
      type: 'enum',
      allowed: ['development', 'test', 'production'],
    });
    expect(rows.get('KAFKA_SSL')).toMatchObject({ type: 'boolean', default: 'false' });
    expect(rows.get('KAFKA_SASL_PASSWORD')).toMatchObject({ secret: true, required: false, default: null });
    expect(rows.get('API_KEYS')).toMatchObject({ type: 'scoped-keys', secret: true, required: false });
    expect(rows.get('TOPIC_DEAD_LETTER')).toMatchObject({ default: DEFAULT_TOPICS.deadLetter });
  });

  it('lists every variable of every group once', () => {
    expect(rows.size).toBe(describeEnv(schema).length);
    expect(rows.size).toBe(6 + 8 + 2 + 2 + 1 + 12);
  });
});
