export * from './vector-store.interface';
export * from './payload-filter.types';
export { matchesFilter, compileFilter, type PayloadPredicate } from './payload-filter.evaluator';
export * from './vector-store.error';
export * from './payload-index.config';
export {
  InProcessVectorStore,
  autoExactSearchThreshold,
  type InProcessVectorStoreOptions,
  type InProcessVectorStoreStats,
} from './in-process-vector-store.adapter';
export { DEFAULT_HNSW_OPTIONS, type HnswOptions, type HnswUpdateCounts } from './hnsw-ann.index';
export { QdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant-vector-store.adapter';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './qdrant-retry.policy';
export { toQdrantPointId, POINT_ID_NAMESPACE, POINT_ID_PAYLOAD_KEY } from './point-id.mapper';
export { toQdrantFilter } from './qdrant-filter.mapper';
// Deterministic test data and ground truth, shared by recall tests and bench scripts.
export { clusteredSpace, seededRandom, type ClusteredSpace } from './clustered-vectors.factory';
export { recallWorkload, RECALL_SELECTIVITIES, type RecallWorkload } from './recall-workload.factory';
export { driftMoves, turnToward, type DriftMove, type DriftOptions } from './drift-workload.factory';
export { bruteForceTopK, recallAtK } from './brute-force.oracle';
export {
  VECTOR_STORE,
  VectorStoreModule,
  createVectorStore,
  type VectorStoreModuleOptions,
} from './vector-store.module';
export * from './stream-replica';
