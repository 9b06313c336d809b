// Contract test against a local STUB of Qdrant's REST API (not a real Qdrant): asserts the exact
// requests QdrantVectorStore sends (method, path, query, JSON body, api-key header) and how it
// reads Qdrant-shaped responses. The behaviour against a real Qdrant is checked by
// qdrant-vector-store.int-spec.ts when QDRANT_URL is set.
import type { Filter } from './payload-filter.types';
import { toQdrantPointId } from './point-id.mapper';
import { QdrantRestStub, fail, ok } from './qdrant-rest.stub';
import { QdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant-vector-store.adapter';
import {
  VectorCollectionMismatchError,
  VectorPointNotFoundError,
  VectorStoreRequestError,
  VectorStoreUnavailableError,
} from './vector-store.error';

const C = '/collections/streams';
const WRITE = 'wait=true&ordering=weak';
const uuid = toQdrantPointId;

const collectionInfo = (size: number, payloadSchema: Record<string, string>) => ({
  status: 'green',
  optimizer_status: 'ok',
  segments_count: 1,
  points_count: 0,
  indexed_vectors_count: 0,
  config: {
    params: { vectors: { size, distance: 'Cosine' }, shard_number: 1, replication_factor: 1 },
    hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
    optimizer_config: {},
    wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
  },
  payload_schema: Object.fromEntries(
    Object.entries(payloadSchema).map(([field, type]) => [field, { data_type: type, points: 0 }]),
  ),
});

const ALL_DEFAULT_INDEXES = {
  live: 'bool',
  category: 'keyword',
  language: 'keyword',
  sellerId: 'keyword',
  startedAt: 'integer',
};

describe('QdrantVectorStore REST contract (against a local STUB, not a real Qdrant)', () => {
  let stub: QdrantRestStub;
  let url: string;

  beforeEach(async () => {
    stub = new QdrantRestStub();
    url = await stub.start();
    jest.spyOn(console, 'warn').mockImplementation(() => undefined); // client warns: api key over http
  });

  afterEach(async () => {
    await stub.stop();
    jest.restoreAllMocks();
  });

  const store = (overrides: Partial<QdrantVectorStoreOptions> = {}) =>
    new QdrantVectorStore({
      url,
      apiKey: 'secret-key',
      collection: 'streams',
      dimension: 4,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      ...overrides,
    });

  const sent = () => stub.requests.map(({ method, path, body }) => ({ method, path, body }));

  it('creates a missing collection (size, Cosine) and every payload index, sending the api-key', async () => {
    stub
      .on('GET', `${C}/exists`, ok({ exists: false }))
      .on('PUT', C, ok(true))
      .on('GET', C, ok(collectionInfo(4, {})))
      .on('PUT', `${C}/index?wait=true`, ok({ operation_id: 1, status: 'completed' }));
    await store({ payloadIndexes: [{ field: 'viewerCountry', schema: 'keyword' }] }).ensureCollection();

    const index = (field_name: string, field_schema: string) => ({
      method: 'PUT',
      path: `${C}/index?wait=true`,
      body: { field_name, field_schema },
    });
    expect(sent()).toStrictEqual([
      { method: 'GET', path: `${C}/exists`, body: undefined },
      { method: 'PUT', path: C, body: { vectors: { size: 4, distance: 'Cosine' } } },
      { method: 'GET', path: C, body: undefined },
      index('live', 'bool'),
      index('category', 'keyword'),
      index('language', 'keyword'),
      index('sellerId', 'keyword'),
      index('startedAt', 'integer'),
      index('viewerCountry', 'keyword'),
    ]);
    for (const request of stub.requests) expect(request.headers['api-key']).toBe('secret-key');
    expect(stub.requests[1].headers['content-type']).toBe('application/json');
  });

  it('leaves an existing, complete collection alone and only adds missing indexes', async () => {
    stub
      .on('GET', `${C}/exists`, ok({ exists: true }))
      .on(
        'GET',
        C,
        ok(
          collectionInfo(4, { live: 'bool', category: 'keyword', language: 'keyword', sellerId: 'keyword' }),
        ),
      )
      .on('PUT', `${C}/index?wait=true`, ok({ operation_id: 2, status: 'completed' }));
    await store().ensureCollection();
    expect(sent()).toStrictEqual([
      { method: 'GET', path: `${C}/exists`, body: undefined },
      { method: 'GET', path: C, body: undefined },
      {
        method: 'PUT',
        path: `${C}/index?wait=true`,
        body: { field_name: 'startedAt', field_schema: 'integer' },
      },
    ]);
  });

  it('refuses a collection with another vector size', async () => {
    stub
      .on('GET', `${C}/exists`, ok({ exists: true }))
      .on('GET', C, ok(collectionInfo(8, ALL_DEFAULT_INDEXES)));
    await expect(store().ensureCollection()).rejects.toBeInstanceOf(VectorCollectionMismatchError);
  });

  it('upserts in ordered batches with wait=true, UUIDv5 ids and the original id in the payload', async () => {
    stub.on('PUT', `${C}/points?${WRITE}`, ok({ operation_id: 3, status: 'completed' }));
    const points = ['s1', 's2', 's3'].map((id, i) => ({
      id,
      vector: i === 0 ? new Float32Array([0.5, 0.25, 0, 1]) : [i, 0, 0.5, 0],
      payload: { live: true, category: `c${i}` },
    }));
    await store({ upsertBatchSize: 2 }).upsert(points);
    const point = (id: string, vector: number[], category: string) => ({
      id: uuid(id),
      vector,
      payload: { live: true, category, _id: id },
    });
    expect(sent()).toStrictEqual([
      {
        method: 'PUT',
        path: `${C}/points?${WRITE}`,
        body: { points: [point('s1', [0.5, 0.25, 0, 1], 'c0'), point('s2', [1, 0, 0.5, 0], 'c1')] },
      },
      { method: 'PUT', path: `${C}/points?${WRITE}`, body: { points: [point('s3', [2, 0, 0.5, 0], 'c2')] } },
    ]);
  });

  it('honours configured write semantics (wait=false, ordering=medium)', async () => {
    stub.on(
      'POST',
      `${C}/points/delete?wait=false&ordering=medium`,
      ok({ operation_id: 4, status: 'acknowledged' }),
    );
    await store({ wait: false, ordering: 'medium' }).delete(['s1']);
    expect(sent()).toStrictEqual([
      {
        method: 'POST',
        path: `${C}/points/delete?wait=false&ordering=medium`,
        body: { points: [uuid('s1')] },
      },
    ]);
  });

  it('deletes by a filter in one request, the filter in Qdrant format', async () => {
    stub.on('POST', `${C}/points/delete?${WRITE}`, ok({ operation_id: 7, status: 'completed' }));
    await store().deleteWhere({ must: [{ key: 'lastEngagedAt', range: { lt: 1_000 } }] });
    expect(sent()).toStrictEqual([
      {
        method: 'POST',
        path: `${C}/points/delete?${WRITE}`,
        body: { filter: { must: [{ key: 'lastEngagedAt', range: { lt: 1_000 } }] } },
      },
    ]);
  });

  it('deletes by mapped ids and merges payloads through a has_id filter', async () => {
    stub
      .on('POST', `${C}/points/delete?${WRITE}`, ok({ operation_id: 5, status: 'completed' }))
      .on('POST', `${C}/points/payload?${WRITE}`, ok({ operation_id: 6, status: 'completed' }));
    const s = store();
    await s.delete(['s1', 's2']);
    await s.setPayload(['s3', 's4'], { live: false });
    await s.setPayload('s5', { viewers: 3 });
    expect(sent()).toStrictEqual([
      { method: 'POST', path: `${C}/points/delete?${WRITE}`, body: { points: [uuid('s1'), uuid('s2')] } },
      {
        method: 'POST',
        path: `${C}/points/payload?${WRITE}`,
        body: { payload: { live: false }, filter: { must: [{ has_id: [uuid('s3'), uuid('s4')] }] } },
      },
      {
        method: 'POST',
        path: `${C}/points/payload?${WRITE}`,
        body: { payload: { viewers: 3 }, filter: { must: [{ has_id: [uuid('s5')] }] } },
      },
    ]);
  });

  const everyOperator: Filter = {
    must: [
      { key: 'live', match: { value: true } },
      { key: 'category', match: { any: ['games', 'music'] } },
      { key: 'startedAt', range: { gte: 100, lt: 200 } },
      { should: [{ key: 'language', match: { value: 'en' } }, { is_empty: { key: 'language' } }] },
    ],
    must_not: [{ key: 'sellerId', match: { value: 'banned' } }],
  };

  it('searches through the query API with the filter in Qdrant format and maps ids back', async () => {
    stub.on(
      'POST',
      `${C}/points/query`,
      ok({
        points: [
          { id: uuid('s7'), version: 3, score: 0.93, payload: { _id: 's7', live: true, category: 'games' } },
          { id: uuid('s8'), version: 1, score: 0.5, payload: { _id: 's8', live: true, category: 'music' } },
        ],
      }),
    );
    const hits = await store({ hnswEf: 128 }).search({
      vector: [1, 0, 0.5, 0],
      filter: everyOperator,
      limit: 2,
    });
    expect(hits).toStrictEqual([
      { id: 's7', score: 0.93, payload: { live: true, category: 'games' } },
      { id: 's8', score: 0.5, payload: { live: true, category: 'music' } },
    ]);
    expect(sent()).toStrictEqual([
      {
        method: 'POST',
        path: `${C}/points/query`,
        body: {
          query: [1, 0, 0.5, 0],
          limit: 2,
          with_payload: true,
          params: { hnsw_ef: 128 },
          filter: {
            must: [
              { key: 'live', match: { value: true } },
              { key: 'category', match: { any: ['games', 'music'] } },
              { key: 'startedAt', range: { gte: 100, lt: 200 } },
              { should: [{ key: 'language', match: { value: 'en' } }, { is_empty: { key: 'language' } }] },
            ],
            must_not: [{ key: 'sellerId', match: { value: 'banned' } }],
          },
        },
      },
    ]);
  });

  it('without payloads still asks for the id field only', async () => {
    stub.on(
      'POST',
      `${C}/points/query`,
      ok({ points: [{ id: uuid('s1'), version: 0, score: 1, payload: { _id: 's1' } }] }),
    );
    expect(await store().search({ vector: [1, 0, 0, 0], limit: 1, withPayload: false })).toStrictEqual([
      { id: 's1', score: 1 },
    ]);
    expect(stub.requests[0].body).toStrictEqual({ query: [1, 0, 0, 0], limit: 1, with_payload: ['_id'] });
  });

  it('searches by point id server-side, excluding the point itself', async () => {
    stub.on('POST', `${C}/points/query`, ok({ points: [] }));
    await store().searchByPointId({
      id: 's1',
      limit: 5,
      filter: { must: [{ key: 'live', match: { value: true } }] },
    });
    expect(stub.requests[0].body).toStrictEqual({
      query: uuid('s1'),
      limit: 5,
      with_payload: true,
      filter: {
        must_not: [{ has_id: [uuid('s1')] }],
        must: [{ must: [{ key: 'live', match: { value: true } }] }],
      },
    });
  });

  it('maps Qdrant "No point with id" (404) to VectorPointNotFoundError', async () => {
    stub.on('POST', `${C}/points/query`, fail(404, `Not found: No point with id ${uuid('gone')} found`));
    await expect(store().searchByPointId({ id: 'gone', limit: 5 })).rejects.toBeInstanceOf(
      VectorPointNotFoundError,
    );
    expect(stub.requests).toHaveLength(1);
  });

  it('counts exactly, with the filter translated', async () => {
    stub.on('POST', `${C}/points/count`, ok({ count: 42 }));
    const s = store();
    expect(await s.count()).toBe(42);
    expect(await s.count({ must: [{ is_empty: { key: 'sellerId' } }] })).toBe(42);
    expect(stub.requests.map((r) => r.body)).toStrictEqual([
      { exact: true },
      { filter: { must: [{ is_empty: { key: 'sellerId' } }] }, exact: true },
    ]);
  });

  it('retries a 5xx with backoff and succeeds with the same request', async () => {
    stub.on('POST', `${C}/points/count`, fail(503, 'Service unavailable'), ok({ count: 1 }));
    expect(await store().count()).toBe(1);
    expect(stub.requests.map((r) => r.body)).toStrictEqual([{ exact: true }, { exact: true }]);
  });

  it('retries a request that exceeds the client timeout', async () => {
    // the retry answers at once: a timeout of 1 s leaves it room on a loaded machine (100 ms did not)
    stub.on('POST', `${C}/points/count`, { ...ok({ count: 9 }), delayMs: 3_000 }, ok({ count: 7 }));
    expect(await store({ requestTimeoutMs: 1_000 }).count()).toBe(7);
    expect(stub.requests).toHaveLength(2);
  });

  it('never retries a 4xx and reports Qdrant error text as a request error', async () => {
    stub.on('POST', `${C}/points/count`, fail(400, 'Wrong input: bad filter'));
    const error: unknown = await store()
      .count()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VectorStoreRequestError);
    expect(error).toMatchObject({
      status: 400,
      message: expect.stringContaining('Wrong input: bad filter') as string,
    });
    expect(stub.requests).toHaveLength(1);
  });

  it('gives up on a persistent 5xx with VectorStoreUnavailableError after maxAttempts', async () => {
    stub.on('POST', `${C}/points/count`, fail(500, 'Service internal error'));
    await expect(store().count()).rejects.toBeInstanceOf(VectorStoreUnavailableError);
    expect(stub.requests).toHaveLength(3);
  });

  it('reports a refused connection as VectorStoreUnavailableError', async () => {
    await stub.stop(); // nothing listens on the port any more
    await expect(store().count()).rejects.toBeInstanceOf(VectorStoreUnavailableError);
  });

  it('pings once, without retries, and reports a missing collection as unavailable', async () => {
    stub.on('GET', `${C}/exists`, ok({ exists: true }), fail(503, 'down'), ok({ exists: false }));
    const s = store();
    await expect(s.ping()).resolves.toBeUndefined();
    await expect(s.ping()).rejects.toBeInstanceOf(VectorStoreUnavailableError);
    await expect(s.ping()).rejects.toBeInstanceOf(VectorStoreUnavailableError);
    expect(stub.requests).toHaveLength(3);
  });

  it('validates locally before sending: dimension, reserved _id key', async () => {
    const s = store();
    await expect(s.upsert([{ id: 'x', vector: [1, 0], payload: {} }])).rejects.toBeInstanceOf(
      VectorStoreRequestError,
    );
    await expect(s.upsert([{ id: 'x', vector: [1, 0, 0, 0], payload: { _id: 'y' } }])).rejects.toBeInstanceOf(
      VectorStoreRequestError,
    );
    await expect(s.search({ vector: [0, 0, 0, 0], limit: 1 })).rejects.toBeInstanceOf(
      VectorStoreRequestError,
    );
    expect(stub.requests).toHaveLength(0);
  });
});
