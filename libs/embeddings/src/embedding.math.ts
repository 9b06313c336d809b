/**
 * Float32 vector helpers shared by every embedding of the writer. Every function that produces a
 * vector guarantees finite components: a non-finite input component is treated as 0, so no NaN or
 * Infinity can ever reach a published vector.
 */

/** 32-bit FNV-1a over the UTF-16 code units of `text`, with a seed mixed in first. */
export function hash32(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche (murmur3 fmix32) so near-identical strings spread over all buckets
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Deterministic PRNG (mulberry32): same seed, same sequence. Returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

/** Replaces non-finite components by 0, in place. Returns the same array. */
export function sanitize(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) a[i] = 0;
  return a;
}

/**
 * Scales `a` to unit length in place. A zero (or all non-finite) vector stays zero: callers that
 * must publish a unit vector combine with a never-zero term (the seller's seeded vector).
 * Non-finite components count as 0; huge or tiny components neither overflow nor underflow.
 */
export function normalizeInPlace(a: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * a[i];
  if (sum > 1e-300 && Number.isFinite(sum)) {
    // fast path: the float64 sum neither overflowed nor underflowed
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < a.length; i++) a[i] *= scale;
    return a;
  }
  return normalizeScaled(sanitize(a));
}

/** Slow path: pre-scales by the largest component so huge or tiny values do not over/underflow. */
function normalizeScaled(a: Float32Array): Float32Array {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  if (max === 0) return a;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] / max;
    sum += x * x;
  }
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < a.length; i++) a[i] = (a[i] / max) * scale;
  return sanitize(a);
}

/** A normalised copy (`new Float32Array(a)` is a memcpy; `Float32Array.from` walks an iterator). */
export function normalized(a: Float32Array): Float32Array {
  return normalizeInPlace(new Float32Array(a));
}

/** Largest finite float32: results are clamped to it so storing them never yields Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;
const clampFloat32 = (x: number) => (x > FLOAT32_MAX ? FLOAT32_MAX : x < -FLOAT32_MAX ? -FLOAT32_MAX : x);

/** target += weight * source, in place; a non-finite weight adds nothing, results are clamped to float32. */
export function addScaled(target: Float32Array, source: Float32Array, weight: number): Float32Array {
  if (!Number.isFinite(weight) || weight === 0) return target;
  for (let i = 0; i < target.length; i++) {
    const v = target[i] + weight * source[i];
    if (Number.isFinite(v)) target[i] = clampFloat32(v);
  }
  return target;
}

/**
 * target = factor * target + weight * source in one pass (a decayed running sum), clamped to the
 * float32 range; a non-finite factor counts as 0 and a non-finite weight adds nothing (as in
 * scaleInPlace + addScaled). Returns the squared norm of the result (float64), so callers that need
 * |target| do not make a third pass.
 */
export function decayAddScaled(
  target: Float32Array,
  factor: number,
  source: Float32Array,
  weight: number,
): number {
  const f = Number.isFinite(factor) ? factor : 0;
  const w = Number.isFinite(weight) ? weight : 0;
  let sum = 0;
  for (let i = 0; i < target.length; i++) {
    let v = target[i] * f + w * source[i];
    // v - v is NaN for NaN and +-Infinity: a non-finite term keeps the decayed value (as addScaled)
    if (v - v !== 0) v = target[i] * f;
    v = v > FLOAT32_MAX ? FLOAT32_MAX : v < -FLOAT32_MAX ? -FLOAT32_MAX : v;
    target[i] = v;
    sum += v * v;
  }
  return sum;
}

export function scaleInPlace(target: Float32Array, factor: number): Float32Array {
  const f = Number.isFinite(factor) ? factor : 0;
  for (let i = 0; i < target.length; i++) target[i] = clampFloat32(target[i] * f);
  return target;
}

/**
 * Copies unit vector `next` into `last` (what readers were last given) unless it moved less than
 * `minChange` in cosine distance (1 - cos) and is not `force`d. Returns whether it copied: false =
 * nothing worth republishing. `minChange` <= 0 always copies.
 */
export function copyIfMoved(
  last: Float32Array,
  next: Float32Array,
  minChange: number,
  force = false,
): boolean {
  if (!force && minChange > 0 && 1 - dot(last, next) < minChange) return false;
  last.set(next);
  return true;
}

/** Multiplier of a quantity after `elapsedMs` with the given half-life (1 for no or negative elapsed time). */
export function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  if (!(elapsedMs > 0) || !(halfLifeMs > 0)) return 1;
  const factor = Math.pow(2, -elapsedMs / halfLifeMs);
  return Number.isFinite(factor) ? factor : 0;
}

/** A reproducible random unit vector for an id (seller seed vectors, so init is deterministic). */
export function seededUnitVector(id: string, dimension: number, seed = 0): Float32Array {
  const random = mulberry32(hash32(id, seed));
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i += 2) {
    // Box-Muller: two gaussians per draw, isotropic direction after normalisation
    const u = Math.max(random(), 1e-12);
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < dimension) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return normalizeInPlace(out);
}

/** True when every component is finite. */
export function isFiniteVector(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** True when some component is non-zero. */
export function isNonZero(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return true;
  return false;
}
