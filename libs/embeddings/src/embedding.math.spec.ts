import {
  addScaled,
  copyIfMoved,
  decayAddScaled,
  decayFactor,
  dot,
  hash32,
  isFiniteVector,
  norm,
  normalizeInPlace,
  scaleInPlace,
  seededUnitVector,
} from './embedding.math';

describe('embedding math', () => {
  it('normalises to unit length', () => {
    const v = normalizeInPlace(Float32Array.from([3, 4, 0]));
    expect(Array.from(v)).toEqual([expect.closeTo(0.6, 6), expect.closeTo(0.8, 6), 0]);
    expect(norm(v)).toBeCloseTo(1, 6);
  });

  it('keeps a zero vector zero instead of dividing by zero', () => {
    expect(Array.from(normalizeInPlace(new Float32Array(4)))).toEqual([0, 0, 0, 0]);
  });

  it('never yields NaN or Infinity under extreme inputs', () => {
    const cases = [
      Float32Array.from([3e38, 3e38, -3e38, 1]),
      Float32Array.from([1e-45, 1e-45, 0, 0]),
      Float32Array.from([NaN, Infinity, -Infinity, 2]),
      Float32Array.from([NaN, NaN, NaN, NaN]),
    ];
    for (const v of cases) {
      const out = normalizeInPlace(v);
      expect(isFiniteVector(out)).toBe(true);
      const n = norm(out);
      expect(n === 0 || Math.abs(n - 1) < 1e-5).toBe(true);
    }
    expect(Array.from(normalizeInPlace(Float32Array.from([NaN, Infinity, -Infinity, 2])))).toEqual([
      0, 0, 0, 1,
    ]);
  });

  it('ignores non-finite weights and results in addScaled / scaleInPlace', () => {
    const target = Float32Array.from([1, 2]);
    addScaled(target, Float32Array.from([3e38, 1]), Infinity);
    addScaled(target, Float32Array.from([3e38, 1]), 1e10);
    expect(isFiniteVector(target)).toBe(true);
    expect(target[0]).toBeCloseTo(3.4028234663852886e38, -32);
    expect(target[1]).toBeCloseTo(2 + 1e10, -4);
    expect(Array.from(scaleInPlace(Float32Array.from([1, 2]), NaN))).toEqual([0, 0]);
  });

  it('decays by half per half-life and not at all for zero or negative elapsed time', () => {
    expect(decayFactor(1000, 1000)).toBeCloseTo(0.5, 12);
    expect(decayFactor(3000, 1000)).toBeCloseTo(0.125, 12);
    expect(decayFactor(0, 1000)).toBe(1);
    expect(decayFactor(-5, 1000)).toBe(1);
    expect(decayFactor(1e300, 1)).toBe(0);
  });

  it('hashes and seeds deterministically', () => {
    expect(hash32('seller-1')).toBe(hash32('seller-1'));
    expect(hash32('seller-1')).not.toBe(hash32('seller-2'));
    expect(hash32('x', 1)).not.toBe(hash32('x', 2));
    const a = seededUnitVector('seller-1', 128);
    expect(Array.from(a)).toEqual(Array.from(seededUnitVector('seller-1', 128)));
    expect(norm(a)).toBeCloseTo(1, 5);
    expect(Array.from(a)).not.toEqual(Array.from(seededUnitVector('seller-2', 128)));
  });

  it('decays and adds in one pass like scaleInPlace + addScaled, returning the squared norm', () => {
    const a = Float32Array.from([1, -2, 3]);
    const b = Float32Array.from([1, -2, 3]);
    const source = Float32Array.from([0.5, 0.25, -1]);
    scaleInPlace(a, 0.5);
    addScaled(a, source, 2);
    const squared = decayAddScaled(b, 0.5, source, 2);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(squared).toBeCloseTo(dot(a, a), 5);
    const extreme = Float32Array.from([3e38, 1, 1]);
    decayAddScaled(extreme, 1, Float32Array.from([3e38, NaN, Infinity]), 10);
    expect(isFiniteVector(extreme)).toBe(true);
    expect(Array.from(extreme.slice(1))).toEqual([1, 1]);
    expect(
      Array.from(
        decayAddScaled(Float32Array.from([1, 2]), NaN, Float32Array.from([1, 1]), Infinity) === 0 ? [0] : [1],
      ),
    ).toEqual([0]);
  });

  it('copies a unit vector only when it moved by at least minChange (cosine distance), or when forced', () => {
    const last = Float32Array.from([1, 0]);
    const close = normalizeInPlace(Float32Array.from([1, 1e-3]));
    expect(copyIfMoved(last, close, 1e-5)).toBe(false);
    expect(Array.from(last)).toEqual([1, 0]);
    expect(copyIfMoved(last, close, 1e-5, true)).toBe(true);
    expect(Array.from(last)).toEqual(Array.from(close));
    const far = normalizeInPlace(Float32Array.from([1, 1]));
    expect(copyIfMoved(last, far, 1e-5)).toBe(true);
    expect(copyIfMoved(last, far, 0)).toBe(true);
  });
});
