import { RankingCandidate } from './ranking.types';

/**
 * One entry per stream; the best similarity any source found wins. Candidates that all carry a
 * `key` are deduped by it (a generation-stamped array, no hashing of ids); else by id.
 */
export function dedupe(candidates: readonly RankingCandidate[]): RankingCandidate[] {
  return dedupeByKey(candidates) ?? dedupeById(candidates);
}

// Scratch of dedupeByKey (same reuse rule as the score row): seenAt[key] is the key's index in the
// output when stamp[key] === generation, so nothing is cleared between calls.
let stamp = new Int32Array(1024);
let seenAt = new Int32Array(1024);
let generation = 0;

/** `dedupeById` through the candidates' keys, or null when one has none (or two streams share one). */
function dedupeByKey(candidates: readonly RankingCandidate[]): RankingCandidate[] | null {
  if (++generation === 0x7fffffff) {
    stamp.fill(0);
    generation = 1;
  }
  const out: RankingCandidate[] = [];
  for (const c of candidates) {
    const key = c.key;
    if (key === undefined || !(key >= 0 && key < 0x40000000) || key !== (key | 0)) return null;
    if (key >= stamp.length) growStamps(key + 1);
    if (stamp[key] !== generation) {
      stamp[key] = generation;
      seenAt[key] = out.length;
      out.push(c);
      continue;
    }
    const i = seenAt[key];
    if (out[i].streamId !== c.streamId) return null;
    if ((c.similarity ?? -Infinity) > (out[i].similarity ?? -Infinity)) out[i] = { ...out[i], ...c };
  }
  return out;
}

function growStamps(n: number): void {
  const size = Math.max(n, 2 * stamp.length);
  const grownStamp = new Int32Array(size);
  grownStamp.set(stamp);
  stamp = grownStamp;
  const grownAt = new Int32Array(size);
  grownAt.set(seenAt);
  seenAt = grownAt;
}

function dedupeById(candidates: readonly RankingCandidate[]): RankingCandidate[] {
  const at = new Map<string, number>();
  const out: RankingCandidate[] = [];
  for (const c of candidates) {
    const i = at.get(c.streamId);
    if (i === undefined) {
      at.set(c.streamId, out.length);
      out.push(c);
    } else if ((c.similarity ?? -Infinity) > (out[i].similarity ?? -Infinity)) {
      out[i] = { ...out[i], ...c };
    }
  }
  return out;
}
