/**
 * The few float32 vector helpers the content providers need. Every function that produces a
 * vector guarantees finite components: a non-finite input component is treated as 0.
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

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

/** True when every component is finite. */
export function isFiniteVector(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** Replaces non-finite components by 0, in place. */
function sanitize(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) a[i] = 0;
  return a;
}

/**
 * Scales `a` to unit length in place; a zero (or all non-finite) vector stays zero. Huge or tiny
 * components neither overflow nor underflow (pre-scaled by the largest one on the slow path).
 */
export function normalizeInPlace(a: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * a[i];
  if (sum > 1e-300 && Number.isFinite(sum)) {
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < a.length; i++) a[i] *= scale;
    return a;
  }
  sanitize(a);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  if (max === 0) return a;
  let scaled = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] / max;
    scaled += x * x;
  }
  const scale = 1 / Math.sqrt(scaled);
  for (let i = 0; i < a.length; i++) a[i] = (a[i] / max) * scale;
  return sanitize(a);
}
