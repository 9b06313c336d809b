import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { type PayloadIndexSpec, mergePayloadIndexes } from './payload-index.config';
import type { Filter, Payload } from './payload-filter.types';
import { POINT_ID_PAYLOAD_KEY, toQdrantPointId } from './point-id.mapper';
import { toQdrantFilter } from './qdrant-filter.mapper';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  httpStatusOf,
  qdrantErrorMessage,
  withRetry,
} from './qdrant-retry.policy';
import {
  VectorCollectionMismatchError,
  VectorPointNotFoundError,
  VectorStoreRequestError,
  VectorStoreUnavailableError,
} from './vector-store.error';
import type {
  ScoredPoint,
  SearchByPointIdRequest,
  SearchRequest,
  VectorInput,
  VectorPoint,
  VectorStore,
} from './vector-store.interface';

export interface QdrantVectorStoreOptions {
  /** `https://...` turns TLS on; the port comes from the URL (Qdrant REST default 6333). */
  url: string;
  /** Sent as the `api-key` header; use it only with an https url outside a private network. */
  apiKey?: string;
  collection: string;
  dimension: number;
  /** Payload indexes beyond DEFAULT_PAYLOAD_INDEXES (same field: this one wins). */
  payloadIndexes?: readonly PayloadIndexSpec[];
  /** Points per upsert request; batches go one after another, in order. Default 256. */
  upsertBatchSize?: number;
  /**
   * wait=true (default): Qdrant answers once the batch is applied, so the writer's next search
   * sees it (read-your-writes) and an acknowledged batch is durable in the WAL. wait=false only
   * enqueues: higher throughput, but a search right after may miss the write.
   */
  wait?: boolean;
  /**
   * weak (default): any replica applies the write; fine because each point has one writer (one
   * Kafka partition per stream) and we await each batch. medium: routed via the shard leader, so
   * concurrent writers of one point agree on order. strong: through consensus, slowest.
   */
  ordering?: Schemas['WriteOrdering'];
  /** Client-side deadline per HTTP request (ms); a timeout is retried. Default 5000. */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Search beam width (Qdrant default = ef_construct, 100). */
  hnswEf?: number;
}

const DEFAULT_BATCH = 256;
type QdrantPayload = Record<string, unknown>;

/** VectorStore on Qdrant through @qdrant/js-client-rest (REST). */
export class QdrantVectorStore implements VectorStore {
  readonly dimension: number;
  private readonly client: QdrantClient;
  private readonly collection: string;
  private readonly retry: RetryPolicy;
  private readonly write: { wait: boolean; ordering: Schemas['WriteOrdering'] };

  constructor(private readonly options: QdrantVectorStoreOptions) {
    this.dimension = options.dimension;
    this.collection = options.collection;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.write = { wait: options.wait ?? true, ordering: options.ordering ?? 'weak' };
    this.client = new QdrantClient({
      url: options.url,
      apiKey: options.apiKey,
      timeout: options.requestTimeoutMs ?? 5_000,
      // The check is an unawaited GET / at construction that only logs; readiness probes do better.
      checkCompatibility: false,
    });
  }

  /** Creates the collection (size, Cosine) if missing, checks it, and adds missing payload indexes. */
  async ensureCollection(): Promise<void> {
    const name = this.collection;
    const { exists } = await this.call('collection exists', () => this.client.collectionExists(name));
    if (!exists) {
      await this.call('create collection', async () => {
        try {
          await this.client.createCollection(name, { vectors: { size: this.dimension, distance: 'Cosine' } });
        } catch (error) {
          // Another replica created it between our check and our create: that is success.
          if (!isAlreadyExists(error)) throw error;
        }
      });
    }
    const info = await this.call('get collection', () => this.client.getCollection(name));
    this.checkVectors(info);
    for (const { field, schema } of mergePayloadIndexes(this.options.payloadIndexes)) {
      const existing = info.payload_schema[field]?.data_type;
      if (existing === schema) continue;
      if (existing !== undefined) {
        throw new VectorCollectionMismatchError(`Payload index ${field} is ${existing}, expected ${schema}`);
      }
      await this.call('create payload index', () =>
        this.client.createPayloadIndex(name, { field_name: field, field_schema: schema, wait: true }),
      );
    }
  }

  async upsert(points: readonly VectorPoint[]): Promise<void> {
    const body = points.map((p) => ({
      id: toQdrantPointId(p.id),
      vector: this.vectorOf(p.vector),
      payload: this.payloadOf(p.payload, p.id),
    }));
    const size = this.options.upsertBatchSize ?? DEFAULT_BATCH;
    for (let i = 0; i < body.length; i += size) {
      const batch = body.slice(i, i + size);
      await this.call('upsert', () => this.client.upsert(this.collection, { ...this.write, points: batch }));
    }
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const points = ids.map(toQdrantPointId);
    await this.call('delete', () => this.client.delete(this.collection, { ...this.write, points }));
  }

  /** Points/delete with a filter: one request whatever the number of points it removes. */
  async deleteWhere(filter: Filter): Promise<void> {
    const body = { ...this.write, filter: toQdrantFilter(filter) };
    await this.call('delete by filter', () => this.client.delete(this.collection, body));
  }

  /** Merge by a has_id filter, so ids that do not exist are ignored instead of failing the call. */
  async setPayload(ids: string | readonly string[], payload: Payload): Promise<void> {
    const list = typeof ids === 'string' ? [ids] : ids;
    if (list.length === 0) return;
    const filter = { must: [{ has_id: list.map(toQdrantPointId) }] };
    const body = this.payloadOf(payload);
    await this.call('set payload', () =>
      this.client.setPayload(this.collection, { ...this.write, payload: body, filter }),
    );
  }

  async search(request: SearchRequest): Promise<ScoredPoint[]> {
    return this.query(
      this.vectorOf(request.vector),
      request,
      request.filter && toQdrantFilter(request.filter),
    );
  }

  /** Qdrant's query-by-id (server-side vector lookup) plus an explicit has_id exclusion of itself. */
  async searchByPointId(request: SearchByPointIdRequest): Promise<ScoredPoint[]> {
    const pointId = toQdrantPointId(request.id);
    const filter: Schemas['Filter'] = { must_not: [{ has_id: [pointId] }] };
    if (request.filter) filter.must = [toQdrantFilter(request.filter)];
    try {
      return await this.query(pointId, request, filter);
    } catch (error) {
      if (
        error instanceof VectorStoreRequestError &&
        error.status === 404 &&
        /no point with id/i.test(error.message)
      ) {
        throw new VectorPointNotFoundError(request.id);
      }
      throw error;
    }
  }

  async count(filter?: Filter): Promise<number> {
    const body = filter ? { filter: toQdrantFilter(filter), exact: true } : { exact: true };
    const { count } = await this.call('count', () => this.client.count(this.collection, body));
    return count;
  }

  /** Readiness: one `exists` call on our collection, no retries; throws the mapped error. */
  async ping(): Promise<void> {
    const { exists } = await withRetry('ping', () => this.client.collectionExists(this.collection), {
      ...this.retry,
      maxAttempts: 1,
    });
    if (!exists) throw new VectorStoreUnavailableError(`Qdrant collection ${this.collection} does not exist`);
  }

  private async query(
    query: number[] | string,
    request: { limit: number; withPayload?: boolean },
    filter: Schemas['Filter'] | undefined,
  ): Promise<ScoredPoint[]> {
    const withPayload = request.withPayload ?? true;
    const body: Parameters<QdrantClient['query']>[1] = {
      query,
      limit: request.limit,
      // Without payloads we still need the original id, which lives in the payload.
      with_payload: withPayload ? true : [POINT_ID_PAYLOAD_KEY],
    };
    if (filter) body.filter = filter;
    if (this.options.hnswEf !== undefined) body.params = { hnsw_ef: this.options.hnswEf };
    const { points } = await this.call('query', () => this.client.query(this.collection, body));
    return points.map((p) => {
      const { [POINT_ID_PAYLOAD_KEY]: originalId, ...rest } = (p.payload ?? {}) as Payload;
      const id = typeof originalId === 'string' ? originalId : String(p.id);
      return withPayload ? { id, score: p.score, payload: rest } : { id, score: p.score };
    });
  }

  private call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return withRetry(what, operation, this.retry);
  }

  private checkVectors(info: Schemas['CollectionInfo']): void {
    const vectors = info.config.params.vectors as { size?: number; distance?: string } | undefined;
    if (vectors?.size !== this.dimension || vectors.distance !== 'Cosine') {
      throw new VectorCollectionMismatchError(
        `Collection ${this.collection} has vectors ${JSON.stringify(vectors)}, expected size ${this.dimension} Cosine`,
      );
    }
  }

  /** Validated plain array (JSON); Qdrant normalises for Cosine itself. */
  private vectorOf(vector: VectorInput): number[] {
    if (vector.length !== this.dimension) {
      throw new VectorStoreRequestError(`Vector has ${vector.length} dimensions, expected ${this.dimension}`);
    }
    const out = Array.from(vector);
    if (!out.every(Number.isFinite)) throw new VectorStoreRequestError('Vector has a non-finite component');
    if (out.every((v) => v === 0)) throw new VectorStoreRequestError('Zero vector has no cosine similarity');
    return out;
  }

  private payloadOf(payload: Payload, originalId?: string): QdrantPayload {
    if (POINT_ID_PAYLOAD_KEY in payload) {
      throw new VectorStoreRequestError(`Payload key ${POINT_ID_PAYLOAD_KEY} is reserved for the point id`);
    }
    return originalId === undefined ? { ...payload } : { ...payload, [POINT_ID_PAYLOAD_KEY]: originalId };
  }
}

function isAlreadyExists(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === 409 || (status === 400 && /already exists/i.test(qdrantErrorMessage(error)));
}
