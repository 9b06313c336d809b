import {
  addScaled,
  decayFactor,
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
});
