import type { Filter, Payload } from './payload-filter.types';

export type VectorInput = Float32Array | readonly number[];

export interface VectorPoint {
  id: string;
  vector: VectorInput;
  payload: Payload;
}

export interface SearchRequest {
  vector: VectorInput;
  filter?: Filter;
  /** top-k */
  limit: number;
  /** Default true. */
  withPayload?: boolean;
}

export interface SearchByPointIdRequest {
  /** The stored point whose vector is the query; it is never part of its own results. */
  id: string;
  filter?: Filter;
  limit: number;
  withPayload?: boolean;
}

export interface ScoredPoint {
  id: string;
  /** Cosine similarity in [-1, 1], higher is closer. */
  score: number;
  payload?: Payload;
}

/**
 * One interface for Qdrant and the in-process index. All writes are visible to the next search
 * once their promise resolves (read-your-writes for the writer).
 */
export interface VectorStore {
  readonly dimension: number;
  /** Creates the collection and its payload indexes when missing; idempotent. */
  ensureCollection(): Promise<void>;
  /** Inserts or replaces whole points (vector and payload); batched by the implementation. */
  upsert(points: readonly VectorPoint[]): Promise<void>;
  /** Removes points; unknown ids are ignored. */
  delete(ids: readonly string[]): Promise<void>;
  /** Removes every point the filter matches (none: nothing happens). */
  deleteWhere(filter: Filter): Promise<void>;
  /** Merges `payload` into the payload of each existing point; unknown ids are ignored. */
  setPayload(ids: string | readonly string[], payload: Payload): Promise<void>;
  /** Top-k by cosine among points matching the filter, best first. */
  search(request: SearchRequest): Promise<ScoredPoint[]>;
  /** Like search with the stored vector of `id`, excluding `id`; throws VectorPointNotFoundError. */
  searchByPointId(request: SearchByPointIdRequest): Promise<ScoredPoint[]>;
  count(filter?: Filter): Promise<number>;
  /** One attempt, no retries: resolves when the store answers, for readiness probes. */
  ping(): Promise<void>;
}
