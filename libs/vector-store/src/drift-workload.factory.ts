import { seededRandom } from './clustered-vectors.factory';

// Deterministic "writer-like" vector drift for update tests and benchmarks: each move turns a
// point toward its own persistent target (another point of the set, as co-engagement pulls a
// stream toward related ones), so repeated small moves add up instead of cancelling out.

export interface DriftMove {
  /** Index of the moved point in the vectors given. */
  index: number;
  /** Its new vector, unit length. */
  vector: Float32Array;
  /** Cosine distance of this move (1 - cos between old and new). */
  distance: number;
}

export interface DriftOptions {
  moves: number;
  seed: number;
  /** Each move's cosine distance is log-uniform in [min, max]; the writer's: 1e-3 .. 1e-1. */
  minDistance: number;
  maxDistance: number;
}

function unit(vector: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(vector);
  let sum = 0;
  for (const x of out) sum += x * x;
  const norm = Math.sqrt(sum);
  for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

/** `from` turned toward `to`, in their plane, by cosine distance `distance` (at most to `to`'s side). */
export function turnToward(from: Float32Array, to: Float32Array, distance: number): Float32Array {
  let c = 0;
  for (let i = 0; i < from.length; i++) c += from[i] * to[i];
  const ortho = new Float32Array(from.length);
  let norm = 0;
  for (let i = 0; i < from.length; i++) {
    ortho[i] = to[i] - c * from[i];
    norm += ortho[i] * ortho[i];
  }
  norm = Math.sqrt(norm);
  if (norm < 1e-9) return Float32Array.from(from); // `to` is `from` (or its opposite): no plane
  const cos = 1 - distance;
  const sin = Math.sqrt(Math.max(0, 1 - cos * cos));
  return unit(from.map((x, i) => cos * x + (sin * ortho[i]) / norm));
}

/**
 * `moves` moves of random points (uniform, with repeats) of `vectors`, applied in order: the
 * vectors are the positions after all the previous moves. `vectors` itself is not modified;
 * `final` holds every point's last position (unit length).
 */
export function driftMoves(
  vectors: readonly ArrayLike<number>[],
  options: DriftOptions,
): { moves: DriftMove[]; final: Float32Array[] } {
  const random = seededRandom(options.seed);
  const current = vectors.map(unit);
  const n = current.length;
  const target = current.map((_, i) => {
    const t = Math.floor(random() * (n - 1));
    return t >= i ? t + 1 : t; // never itself
  });
  const logMin = Math.log(options.minDistance);
  const logSpan = Math.log(options.maxDistance) - logMin;
  const moves: DriftMove[] = [];
  for (let m = 0; m < options.moves; m++) {
    const index = Math.floor(random() * n);
    const distance = Math.exp(logMin + logSpan * random());
    const vector = turnToward(current[index], current[target[index]], distance);
    current[index] = vector;
    moves.push({ index, vector, distance });
  }
  return { moves, final: current };
}
