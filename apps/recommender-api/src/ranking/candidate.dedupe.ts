import { grownInt32 } from './typed-arrays';
import { LiveIndex, RankingCandidate } from './ranking.types';

export interface DedupedCandidates {
  candidates: RankingCandidate[];
  /**
   * Scratch shared by every call (valid until the next one; entries past `candidates.length` are
   * stale), by index of `candidates`: each one's similarity, -Infinity for none.
   */
  similarities: Float64Array;
  /**
   * As `similarities`: each one's key from RankRequest.keys (a live stream of the LiveIndex, read
   * without the candidate object), -1 where the ranker reads the candidate object instead.
   */
  keys: Int32Array;
}

/**
 * One entry per stream, in the order of their first appearance; the best similarity any source
 * found wins. Candidate i's similarity is `similarities[i]` when they are given (none past their
 * length; the candidates' own field is not read), else its `similarity` field. With `keys` and
 * `live`, candidates with a key are deduped by it (a generation-stamped array: neither hashing
 * nor reading the candidate), the others by id; without, by the candidates' own `key` when all have
 * one, else by id.
 */
export function dedupe(
  candidates: readonly RankingCandidate[],
  similarities?: ArrayLike<number>,
  keys?: ArrayLike<number>,
  live?: LiveIndex,
): DedupedCandidates {
  const n = candidates.length;
  if (simRow.length < n) {
    simRow = new Float64Array(Math.max(n, 2 * simRow.length));
    keyRow = new Int32Array(simRow.length);
  }
  let out =
    keys !== undefined && live !== undefined ? byGivenKeys(candidates, similarities, keys, live) : null;
  if (out === null) {
    out = byOwnKeys(candidates, similarities) ?? byId(candidates, similarities);
    keyRow.fill(-1, 0, out.length);
  }
  return { candidates: out, similarities: simRow, keys: keyRow };
}

// Scratch of dedupe (same reuse rule as the ranker's score row): seenAt[key] is the key's index in
// the output when stamp[key] === generation, so nothing is cleared between calls.
let stamp = new Int32Array(1024);
let seenAt = new Int32Array(1024);
let generation = 0;
let simRow = new Float64Array(256);
let keyRow = new Int32Array(256);

function nextGeneration(): number {
  if (++generation === 0x7fffffff) {
    stamp.fill(0);
    generation = 1;
  }
  return generation;
}

/** Candidate j's similarity, -Infinity for none (as `?? -Infinity` compared it before). */
function similarityAt(
  candidates: readonly RankingCandidate[],
  similarities: ArrayLike<number> | undefined,
  j: number,
): number {
  if (similarities === undefined) return candidates[j].similarity ?? -Infinity;
  return j < similarities.length ? similarities[j] : -Infinity;
}

/** A usable key: a small non-negative integer. */
const isKey = (key: number | undefined): key is number =>
  key !== undefined && key >= 0 && key < 0x40000000 && key === (key | 0);

/**
 * The later candidate of a stream replaces the kept one when its similarity is higher: a merge of
 * both (the later one's fields win), or the object itself when both are the same shared object.
 */
function merged(kept: RankingCandidate, later: RankingCandidate): RankingCandidate {
  return kept === later ? kept : { ...kept, ...later };
}

/**
 * Keyed candidates by the given keys, the others (not live in `live`: checked) by id; null when a
 * key names two streams or an unkeyed candidate is a live stream of `live` (then by id).
 */
function byGivenKeys(
  candidates: readonly RankingCandidate[],
  similarities: ArrayLike<number> | undefined,
  keys: ArrayLike<number>,
  live: LiveIndex,
): RankingCandidate[] | null {
  const g = nextGeneration();
  const out: RankingCandidate[] = [];
  let unkeyed: Map<string, number> | undefined;
  for (let j = 0; j < candidates.length; j++) {
    const key = j < keys.length ? keys[j] : -1;
    const similarity = similarityAt(candidates, similarities, j);
    let i: number | undefined;
    if (isKey(key)) {
      if (key >= stamp.length) growStamps(key + 1);
      if (stamp[key] !== g) {
        stamp[key] = g;
        seenAt[key] = out.length;
        keep(out, candidates[j], similarity, key);
        continue;
      }
      i = seenAt[key];
      if (out[i].streamId !== candidates[j].streamId) return null;
    } else {
      const id = candidates[j].streamId;
      if (live.streamKey(id) >= 0) return null;
      i = (unkeyed ??= new Map<string, number>()).get(id);
      if (i === undefined) {
        unkeyed.set(id, out.length);
        keep(out, candidates[j], similarity, -1);
        continue;
      }
    }
    if (similarity > simRow[i]) {
      out[i] = merged(out[i], candidates[j]);
      simRow[i] = similarity;
    }
  }
  return out;
}

function keep(out: RankingCandidate[], c: RankingCandidate, similarity: number, key: number): void {
  simRow[out.length] = similarity;
  keyRow[out.length] = key;
  out.push(c);
}

/** `byId` through the candidates' own keys, or null when one has none (or two streams share one). */
function byOwnKeys(
  candidates: readonly RankingCandidate[],
  similarities: ArrayLike<number> | undefined,
): RankingCandidate[] | null {
  const g = nextGeneration();
  const out: RankingCandidate[] = [];
  for (let j = 0; j < candidates.length; j++) {
    const c = candidates[j];
    const key = c.key;
    if (!isKey(key)) return null;
    if (key >= stamp.length) growStamps(key + 1);
    const similarity = similarityAt(candidates, similarities, j);
    if (stamp[key] !== g) {
      stamp[key] = g;
      seenAt[key] = out.length;
      simRow[out.length] = similarity;
      out.push(c);
      continue;
    }
    const i = seenAt[key];
    if (out[i].streamId !== c.streamId) return null;
    if (similarity > simRow[i]) {
      out[i] = merged(out[i], c);
      simRow[i] = similarity;
    }
  }
  return out;
}

function growStamps(n: number): void {
  const size = Math.max(n, 2 * stamp.length);
  stamp = grownInt32(stamp, size);
  seenAt = grownInt32(seenAt, size);
}

function byId(
  candidates: readonly RankingCandidate[],
  similarities: ArrayLike<number> | undefined,
): RankingCandidate[] {
  const at = new Map<string, number>();
  const out: RankingCandidate[] = [];
  for (let j = 0; j < candidates.length; j++) {
    const c = candidates[j];
    const similarity = similarityAt(candidates, similarities, j);
    const i = at.get(c.streamId);
    if (i === undefined) {
      at.set(c.streamId, out.length);
      simRow[out.length] = similarity;
      out.push(c);
    } else if (similarity > simRow[i]) {
      out[i] = merged(out[i], c);
      simRow[i] = similarity;
    }
  }
  return out;
}
