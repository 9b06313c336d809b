/** Qdrant payload index types we use (keyword = exact string match). */
export type PayloadIndexSchema = 'keyword' | 'integer' | 'float' | 'bool' | 'datetime';

export interface PayloadIndexSpec {
  field: string;
  schema: PayloadIndexSchema;
}

/**
 * Every payload field the recommender filters on gets an index: in Qdrant a filter on an
 * unindexed field is a full scan and its filterable-HNSW cannot plan it. The in-process store
 * keeps inverted indexes on the equality fields of this list.
 */
export const DEFAULT_PAYLOAD_INDEXES: readonly PayloadIndexSpec[] = [
  { field: 'live', schema: 'bool' },
  { field: 'category', schema: 'keyword' },
  { field: 'language', schema: 'keyword' },
  { field: 'sellerId', schema: 'keyword' },
  { field: 'startedAt', schema: 'integer' },
];

/** Defaults plus `extra`, later entries winning for the same field. */
export function mergePayloadIndexes(extra: readonly PayloadIndexSpec[] = []): PayloadIndexSpec[] {
  const byField = new Map<string, PayloadIndexSpec>();
  for (const spec of [...DEFAULT_PAYLOAD_INDEXES, ...extra]) byField.set(spec.field, spec);
  return [...byField.values()];
}
