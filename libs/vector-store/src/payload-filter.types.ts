// The one filter language of every VectorStore, modelled on Qdrant's filter JSON so that the
// Qdrant adapter sends it almost verbatim and the in-process store evaluates the same semantics.

export type PayloadScalar = string | number | boolean | null;
export type PayloadValue = PayloadScalar | PayloadValue[] | { [key: string]: PayloadValue };
export type Payload = { [key: string]: PayloadValue };

/** Values Qdrant can match exactly: keyword, integer, bool. */
export type MatchScalar = string | number | boolean;

export interface MatchValueCondition {
  /** Payload key; dots walk nested objects, `a[].b` walks arrays of objects. */
  key: string;
  match: { value: MatchScalar };
}

export interface MatchAnyCondition {
  key: string;
  /** True when the field (or any element of an array field) equals one of these. */
  match: { any: readonly string[] | readonly number[] };
}

export interface RangeBounds {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface RangeCondition {
  key: string;
  range: RangeBounds;
}

export interface IsEmptyCondition {
  /** True when the key is missing, null or an empty array. */
  is_empty: { key: string };
}

export type FieldCondition = MatchValueCondition | MatchAnyCondition | RangeCondition;

/** A condition is a field test, an emptiness test, or a nested filter. */
export type Condition = FieldCondition | IsEmptyCondition | Filter;

/**
 * `must`: every condition holds; `should`: at least one holds (when the list is non-empty);
 * `must_not`: none holds. An empty filter matches everything.
 */
export interface Filter {
  must?: readonly Condition[];
  should?: readonly Condition[];
  must_not?: readonly Condition[];
}

export function isNestedFilter(condition: Condition): condition is Filter {
  return !('key' in condition) && !('is_empty' in condition);
}

export function isIsEmptyCondition(condition: Condition): condition is IsEmptyCondition {
  return 'is_empty' in condition;
}
