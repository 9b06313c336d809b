/**
 * A copy of `a` in a new array of `size` elements (the rest 0): the grow step of the feed's
 * scratch and index arrays, which only ever grow.
 */
export function grownInt32(a: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(size);
  grown.set(a);
  return grown;
}

/** As grownInt32, for Float64Array. */
export function grownFloat64(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(size);
  grown.set(a);
  return grown;
}
