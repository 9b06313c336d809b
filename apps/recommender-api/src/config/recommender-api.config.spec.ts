import { describeEnv, loadConfig } from '@app/config';
import { SERVICE_NAME, recommenderApiEnvSchema } from './recommender-api.config';

describe('recommender-api config', () => {
  it('defaults to its own ports and client id', () => {
    const config = loadConfig(recommenderApiEnvSchema, {});
    expect(config.common.port).toBe(3000);
    expect(config.common.grpcPort).toBe(50051);
    expect(config.kafka.clientId).toBe(SERVICE_NAME);
  });

  it('declares the shared variables it uses', () => {
    const names = describeEnv(recommenderApiEnvSchema).map((v) => v.name);
    expect(names).toEqual(
      expect.arrayContaining(['PORT', 'KAFKA_BROKERS', 'REDIS_URL', 'TOPIC_RAW', 'API_KEYS', 'QDRANT_URL']),
    );
    expect(names).toHaveLength(new Set(names).size);
  });

  it("embeds search queries with the writer's configured content provider", () => {
    expect(loadConfig(recommenderApiEnvSchema, {}).content).toEqual({ kind: 'hashing' });
    const openai = loadConfig(recommenderApiEnvSchema, {
      EMBEDDING_CONTENT_PROVIDER: 'openai',
      EMBEDDING_OPENAI_URL: 'http://embeddings.local:8080',
      EMBEDDING_OPENAI_API_KEY: 'k',
      EMBEDDING_DIMENSION: '64',
    });
    expect(openai.content).toEqual({
      kind: 'openai',
      url: 'http://embeddings.local:8080',
      model: 'text-embedding-3-small',
      apiKey: 'k',
    });
  });
});
