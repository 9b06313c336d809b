// Deterministic synthetic embeddings for recall tests and benchmarks: Gaussian clusters around
// random unit centres, which is how real embedding sets look (uniform random vectors would make
// every neighbour equally far and recall meaningless).

/** mulberry32: tiny, fast, seedable PRNG; reproducible across runs and machines. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  // Box-Muller; 1 - u avoids log(0).
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export interface ClusteredSpaceOptions {
  dimension: number;
  clusters: number;
  /** Per-component standard deviation around a unit-length centre; 0.05 at 128-d gives
   *  clusters whose members sit at cosine ~0.75 from their centre. */
  spread: number;
  seed: number;
}

export interface ClusteredSpace {
  /** `count` vectors, each near a randomly chosen centre; same seed, same vectors. */
  sample(count: number, seed: number): Float32Array[];
}

export function clusteredSpace(options: ClusteredSpaceOptions): ClusteredSpace {
  const { dimension, clusters, spread } = options;
  const random = seededRandom(options.seed);
  const centres = Array.from({ length: clusters }, () => {
    const c = Array.from({ length: dimension }, () => gaussian(random));
    const norm = Math.hypot(...c);
    return c.map((v) => v / norm);
  });
  return {
    sample(count, seed) {
      const rnd = seededRandom(seed);
      return Array.from({ length: count }, () => {
        const centre = centres[Math.floor(rnd() * clusters)];
        const v = new Float32Array(dimension);
        for (let i = 0; i < dimension; i++) v[i] = centre[i] + spread * gaussian(rnd);
        return v;
      });
    },
  };
}
