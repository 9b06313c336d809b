import type { Schemas } from '@qdrant/js-client-rest';
import type { Condition, Filter } from './payload-filter.types';
import { isIsEmptyCondition, isNestedFilter } from './payload-filter.types';
import { VectorStoreRequestError } from './vector-store.error';

type QdrantCondition = Schemas['Condition'];

/**
 * Our filter language is Qdrant's, so this is a checked copy: it keeps only the fields Qdrant
 * knows, drops empty clauses and rejects malformed conditions before they reach the network.
 */
export function toQdrantFilter(filter: Filter): Schemas['Filter'] {
  const out: Schemas['Filter'] = {};
  if (filter.must?.length) out.must = filter.must.map(toQdrantCondition);
  if (filter.should?.length) out.should = filter.should.map(toQdrantCondition);
  if (filter.must_not?.length) out.must_not = filter.must_not.map(toQdrantCondition);
  return out;
}

function toQdrantCondition(condition: Condition): QdrantCondition {
  if (isIsEmptyCondition(condition)) return { is_empty: { key: condition.is_empty.key } };
  if (isNestedFilter(condition)) return toQdrantFilter(condition);
  if ('range' in condition) {
    const { gt, gte, lt, lte } = condition.range;
    return { key: condition.key, range: dropUndefined({ gt, gte, lt, lte }) };
  }
  const match: Record<string, unknown> = condition.match;
  if ('value' in match && isValue(match.value)) return { key: condition.key, match: { value: match.value } };
  if ('any' in match && Array.isArray(match.any)) {
    return { key: condition.key, match: { any: [...(match.any as string[] | number[])] } };
  }
  throw new VectorStoreRequestError(`Invalid filter condition: ${JSON.stringify(condition)}`);
}

function isValue(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function dropUndefined<T extends Record<string, number | undefined>>(o: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: number;
  };
}
