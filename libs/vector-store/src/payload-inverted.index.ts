import type { Filter, Payload, PayloadValue } from './payload-filter.types';
import { isIsEmptyCondition, isNestedFilter } from './payload-filter.types';

type Posting = Set<number>;

/**
 * Inverted indexes (value -> slots) on the configured keyword/bool/integer payload fields, so the
 * set of points a selective filter can match is found without scanning every payload.
 */
export class PayloadInvertedIndex {
  private readonly byField = new Map<string, Map<PayloadValue, Posting>>();

  constructor(fields: readonly string[]) {
    for (const field of fields) this.byField.set(field, new Map());
  }

  add(slot: number, payload: Payload): void {
    for (const [field, postings] of this.byField) {
      for (const value of indexableValues(payload[field])) {
        let posting = postings.get(value);
        if (!posting) postings.set(value, (posting = new Set()));
        posting.add(slot);
      }
    }
  }

  remove(slot: number, payload: Payload): void {
    for (const [field, postings] of this.byField) {
      for (const value of indexableValues(payload[field])) {
        const posting = postings.get(value);
        if (!posting) continue;
        posting.delete(slot);
        if (posting.size === 0) postings.delete(value);
      }
    }
  }

  /**
   * A superset of the slots matching `filter`, from its top-level `must` match conditions on
   * indexed fields (the postings of the most selective one), or null when no condition can use
   * an index. Postings are not copied (a union per query would cost more than the search);
   * callers still evaluate the full filter on each slot.
   */
  candidates(filter: Filter): CandidatePostings | null {
    let best: CandidatePostings | null = null;
    for (const condition of filter.must ?? []) {
      if (isNestedFilter(condition) || isIsEmptyCondition(condition) || !('match' in condition)) continue;
      const postings = this.byField.get(condition.key);
      if (!postings) continue;
      const match: { value?: PayloadValue; any?: readonly PayloadValue[] } = condition.match;
      const values = match.any ?? (match.value === undefined ? [] : [match.value]);
      const sets = values.map((v) => postings.get(v)).filter((s): s is Posting => s !== undefined);
      const size = sets.reduce((n, s) => n + s.size, 0);
      if (!best || size < best.size) best = { size, sets };
    }
    return best;
  }
}

/** Slots listed by one or more postings; `size` counts a slot once per posting holding it. */
export interface CandidatePostings {
  size: number;
  sets: readonly ReadonlySet<number>[];
}

/**
 * Visits each candidate slot once. Postings of one field overlap only for array-valued fields,
 * so duplicates are filtered with a per-call bitmap only when there are several postings.
 */
export function forEachPostedSlot(
  candidates: CandidatePostings,
  capacity: number,
  visit: (slot: number) => void,
): void {
  if (candidates.sets.length === 1) {
    for (const slot of candidates.sets[0]) visit(slot);
    return;
  }
  const seen = new Uint8Array(capacity);
  for (const set of candidates.sets) {
    for (const slot of set) {
      if (seen[slot] === 1) continue;
      seen[slot] = 1;
      visit(slot);
    }
  }
}

function indexableValues(value: PayloadValue | undefined): PayloadValue[] {
  if (value === undefined || value === null) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.filter((v) => typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number');
}
