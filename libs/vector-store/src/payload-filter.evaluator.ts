import {
  type Condition,
  type Filter,
  type Payload,
  type PayloadValue,
  type RangeBounds,
  isIsEmptyCondition,
  isNestedFilter,
} from './payload-filter.types';
import { VectorStoreRequestError } from './vector-store.error';

/** A filter compiled once into a predicate; the in-process store calls it per candidate point. */
export type PayloadPredicate = (payload: Payload) => boolean;

const compiled = new WeakMap<Filter, PayloadPredicate>();

/** Pure evaluation of a filter with Qdrant's semantics. */
export function matchesFilter(payload: Payload, filter: Filter): boolean {
  let predicate = compiled.get(filter);
  if (!predicate) {
    predicate = compileFilter(filter);
    compiled.set(filter, predicate);
  }
  return predicate(payload);
}

/** Validates the filter and returns a predicate; throws VectorStoreRequestError when malformed. */
export function compileFilter(filter: Filter): PayloadPredicate {
  const must = (filter.must ?? []).map(compileCondition);
  const should = (filter.should ?? []).map(compileCondition);
  const mustNot = (filter.must_not ?? []).map(compileCondition);
  return (payload) => {
    for (const p of must) if (!p(payload)) return false;
    for (const p of mustNot) if (p(payload)) return false;
    if (should.length === 0) return true;
    for (const p of should) if (p(payload)) return true;
    return false;
  };
}

function compileCondition(condition: Condition): PayloadPredicate {
  if (typeof condition !== 'object' || condition === null) {
    throw new VectorStoreRequestError(`Invalid filter condition: ${JSON.stringify(condition)}`);
  }
  if (isIsEmptyCondition(condition)) {
    const some = compilePath(condition.is_empty.key);
    return (payload) => !some(payload, isNotNull);
  }
  if (isNestedFilter(condition)) return compileFilter(condition);
  const some = compilePath(condition.key);
  if ('range' in condition) {
    const inRange = compileRange(condition.range);
    const test = (v: PayloadValue): boolean => typeof v === 'number' && inRange(v);
    return (payload) => some(payload, test);
  }
  const match: Record<string, unknown> = condition.match;
  if ('value' in match) {
    const expected = match.value;
    if (!isMatchScalar(expected)) throw invalid(condition);
    const test = (v: PayloadValue): boolean => v === expected;
    return (payload) => some(payload, test);
  }
  if ('any' in match && Array.isArray(match.any)) {
    const allowed = new Set<unknown>(match.any);
    const test = (v: PayloadValue): boolean => allowed.has(v);
    return (payload) => some(payload, test);
  }
  throw invalid(condition);
}

function compileRange(bounds: RangeBounds): (v: number) => boolean {
  const { gt, gte, lt, lte } = bounds;
  return (v) =>
    (gt === undefined || v > gt) &&
    (gte === undefined || v >= gte) &&
    (lt === undefined || v < lt) &&
    (lte === undefined || v <= lte);
}

function isMatchScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function invalid(condition: Condition): VectorStoreRequestError {
  return new VectorStoreRequestError(`Invalid filter condition: ${JSON.stringify(condition)}`);
}

const isNotNull = (v: PayloadValue): boolean => v !== null;

/**
 * Compiles `key` into "does any leaf value pass `test`". Arrays are flattened one level, as Qdrant
 * matches an array field when any element matches; a missing key has no values. Dots walk nested
 * objects (`a.b`), `a[].b` walks arrays of objects. Plain keys take an allocation-free fast path
 * because this runs per candidate point in the hot search loop.
 */
function compilePath(key: string): (payload: Payload, test: (v: PayloadValue) => boolean) => boolean {
  if (typeof key !== 'string' || key.length === 0) {
    throw new VectorStoreRequestError(`Invalid filter key: ${JSON.stringify(key)}`);
  }
  if (!key.includes('.') && !key.includes('[')) {
    return (payload, test) => someLeaf(payload[key], test);
  }
  const segments = key.split('.').map((s) => (s.endsWith('[]') ? s.slice(0, -2) : s));
  return (payload, test) => {
    let current: PayloadValue[] = [payload];
    for (const segment of segments) {
      const next: PayloadValue[] = [];
      for (const node of current) collectChild(node, segment, next);
      current = next;
    }
    return current.some((v) => someLeaf(v, test));
  };
}

function someLeaf(value: PayloadValue | undefined, test: (v: PayloadValue) => boolean): boolean {
  if (value === undefined) return false;
  if (!Array.isArray(value)) return test(value);
  for (const element of value) if (test(element)) return true;
  return false;
}

function collectChild(node: PayloadValue, segment: string, out: PayloadValue[]): void {
  if (Array.isArray(node)) {
    for (const element of node) collectChild(element, segment, out);
  } else if (node !== null && typeof node === 'object' && segment in node) {
    const child = node[segment];
    if (child !== undefined) out.push(child);
  }
}
