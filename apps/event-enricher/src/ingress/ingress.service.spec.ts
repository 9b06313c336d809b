import {
  loadConfig,
  defineEnvSchema,
  apiKeysEnv,
  commonEnv,
  kafkaEnv,
  redisEnv,
  topicsEnv,
} from '@app/config';
import { RecordingProducer } from '@app/testing';
import { enricherEnv } from '../enrichment/enricher.env';
import { ApiKeyAuthenticator, Principal, TokenBucketRateLimiter } from '@app/api-auth';
import { ingressEnv } from './ingress.env';
import { IngressService } from './ingress.service';

const config = loadConfig(
  defineEnvSchema({
    common: commonEnv({ port: 3001, grpcPort: 50052 }),
    kafka: kafkaEnv({ clientId: 'test' }),
    redis: redisEnv(),
    topics: topicsEnv(),
    apiKeys: apiKeysEnv(),
    enricher: enricherEnv(),
    ingress: ingressEnv(),
  }),
  { API_KEYS: 'ingest:k1,k2;admin:a1;read:r1' },
);
const auth = new ApiKeyAuthenticator(config.apiKeys);
const ingestKey = auth.authenticate('k1') as Principal;
const adminKey = auth.authenticate('a1') as Principal;
const view = (eventId: string, extra: object = {}) => ({
  eventId,
  type: 'view.started',
  schemaVersion: 1,
  occurredAt: Date.now(),
  data: { userId: 'user-1', streamId: 'stream-1', ...extra },
});

describe('IngressService', () => {
  let producer: RecordingProducer;
  let service: IngressService;
  beforeEach(() => {
    producer = new RecordingProducer();
    service = new IngressService(config, producer);
  });

  it('produces one event or a batch keyed by the partition key, after validating all', async () => {
    expect(await service.ingest(view('e1'), ingestKey)).toEqual({ status: 202, accepted: 1 });
    expect(await service.ingest([view('e2'), view('e3')], ingestKey, 'tp')).toEqual({
      status: 202,
      accepted: 2,
    });
    expect(producer.sends.map((s) => s.messages.length)).toEqual([1, 2]);
    expect(producer.sends[1].messages[0]).toMatchObject({ key: 'stream-1', headers: { traceparent: 'tp' } });
    expect(producer.sends[1].topic).toBe(config.topics.names.raw);
  });

  it('rejects a batch with per-item errors (index + field path) and produces none of it', async () => {
    const outcome = await service.ingest(
      [view('ok'), view('bad', { userId: 'has space' }), { type: 'x' }],
      ingestKey,
    );
    expect(outcome.status).toBe(400);
    expect(outcome).toMatchObject({
      errors: [
        { index: 1, reason: 'invalid-field', issues: [{ path: 'data.userId' }] },
        { index: 2, reason: 'unknown-type' },
      ],
    });
    expect(producer.sent).toEqual([]);
  });

  it('rejects more than 1,000 events and non-object bodies', async () => {
    const many = Array.from({ length: 1_001 }, (_, i) => view(`e${i}`));
    expect((await service.ingest(many, ingestKey)).status).toBe(400);
    expect((await service.ingest(null, ingestKey)).status).toBe(400);
    expect((await service.ingest([], ingestKey)).status).toBe(400);
    expect(producer.sent).toEqual([]);
  });

  it('refuses system-only types from anyone and user.erased without the admin scope', async () => {
    const expired = { ...view('x1'), type: 'stream.expired', data: { streamId: 's' } };
    const erased = { ...view('x2'), type: 'user.erased', data: { userId: 'user-1' } };
    expect((await service.ingest([expired], adminKey)).status).toBe(400);
    expect((await service.ingest([view('y'), erased], ingestKey)).status).toBe(403);
    expect(producer.sent).toEqual([]);
    expect(await service.ingest([erased], adminKey)).toEqual({ status: 202, accepted: 1 });
  });
});

describe('ApiKeyAuthenticator', () => {
  it('knows several keys per scope and refuses unknown or missing keys', () => {
    expect(auth.authenticate('k2')?.scopes.has('ingest')).toBe(true);
    expect(auth.authenticate('r1')?.scopes.has('ingest')).toBe(false);
    expect(auth.authenticate('nope')).toBeNull();
    expect(auth.authenticate(undefined)).toBeNull();
  });

  it('is open with every scope when no keys are configured', () => {
    const open = new ApiKeyAuthenticator(new Map());
    expect(open.open).toBe(true);
    expect(open.authenticate(undefined)?.scopes.has('admin')).toBe(true);
  });
});

describe('TokenBucketRateLimiter', () => {
  it('allows max requests per window per key, then says when to retry', () => {
    let now = 0;
    const limiter = new TokenBucketRateLimiter(2, 10_000, () => now);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSec: 5 });
    expect(limiter.take('b').allowed).toBe(true);
    now = 5_000;
    expect(limiter.take('a').allowed).toBe(true);
  });
});
