import { matchesFilter } from './payload-filter.evaluator';
import type { Filter } from './payload-filter.types';
import type { VectorPoint } from './vector-store.interface';

/**
 * Ground truth for recall: exact cosine in float64 over plain arrays, independent of the stores'
 * arena, heap and planner code so that a bug there cannot hide in both sides of the comparison.
 */
export function bruteForceTopK(
  points: readonly VectorPoint[],
  query: ArrayLike<number>,
  limit: number,
  filter?: Filter,
): { id: string; score: number }[] {
  const qNorm = Math.sqrt(sumSquares(query));
  const scored: { id: string; score: number }[] = [];
  for (const p of points) {
    if (filter && !matchesFilter(p.payload, filter)) continue;
    let dot = 0;
    for (let i = 0; i < query.length; i++) dot += query[i] * p.vector[i];
    scored.push({ id: p.id, score: dot / (qNorm * normOf(p.vector)) });
  }
  return scored.sort((a, b) => b.score - a.score).slice(0, limit);
}

/** |returned ∩ expected| / |expected| (1 when nothing was expected). */
export function recallAtK(expectedIds: readonly string[], returnedIds: readonly string[]): number {
  if (expectedIds.length === 0) return 1;
  const returned = new Set(returnedIds);
  return expectedIds.filter((id) => returned.has(id)).length / expectedIds.length;
}

// Norms of stored vectors are cached per vector object (vectors are not mutated by callers).
const norms = new WeakMap<object, number>();
function normOf(vector: ArrayLike<number>): number {
  let norm = norms.get(vector);
  if (norm === undefined) norms.set(vector, (norm = Math.sqrt(sumSquares(vector))));
  return norm;
}

function sumSquares(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}
