import { VectorStore } from '@app/vector-store';

/**
 * Where live stream vectors are searched: Qdrant (one query per request, filters inside it) or the
 * StreamReplica's in-process store. `ready` is false while the replica catches up.
 */
export interface StreamIndex {
  readonly store: VectorStore;
  ready(): boolean;
}

export const STREAM_INDEX = Symbol('STREAM_INDEX');
