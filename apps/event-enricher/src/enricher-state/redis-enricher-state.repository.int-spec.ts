import { testInfra, uniqueName } from '@app/testing';
import Redis from 'ioredis';
import { enricherStateConformance } from './enricher-state.conformance';
import { RedisEnricherStateRepository } from './redis-enricher-state.repository';
import { StateUnavailableError } from './state-unavailable.error';

describe('RedisEnricherStateRepository (conformance, real Redis)', () => {
  const clients: Redis[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit()));
  });

  enricherStateConformance(async () => {
    const client = new Redis(testInfra().redisUrl, { keyPrefix: `${uniqueName('enricher-state')}:` });
    clients.push(client);
    await client.ping();
    return new RedisEnricherStateRepository(client, { timeoutMs: 2_000 });
  });

  it('fails fast with StateUnavailableError when Redis is unreachable', async () => {
    const client = new Redis('redis://127.0.0.1:1', { lazyConnect: true, retryStrategy: () => null });
    const repo = new RedisEnricherStateRepository(client, { timeoutMs: 500 });
    await expect(
      repo.claimAndLookup({
        claims: [{ eventId: 'e', mark: '0:0' }],
        streamIds: [],
        userIds: [],
        dedupeWindowSec: 1,
      }),
    ).rejects.toBeInstanceOf(StateUnavailableError);
    client.disconnect();
  });
});
