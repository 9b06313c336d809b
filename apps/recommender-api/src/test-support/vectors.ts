/** A unit vector pointing mostly along `axis` (so similarities are predictable in tests). */
export function axisVector(dimension: number, axis: number, noise = 0.1): Float32Array {
  const v = new Float32Array(dimension).fill(noise);
  v[axis % dimension] = 1;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
