/** One round of fixed integer hashing and float math (no allocation: no GC in the reading). */
function round(): number {
  let hash = 2166136261;
  let sum = 0;
  for (let i = 0; i < 2_000_000; i++) {
    hash = Math.imul(hash ^ i, 16777619);
    sum += Math.sqrt((hash >>> 0) + i) * 1e-9;
  }
  return sum;
}

/**
 * The machine's speed now: ms for one round of a fixed single-threaded workload, median of 7 after
 * a warm-up (~6 ms on this VM; the same process reads within ~2 %). Lower is faster. The VM's speed
 * moves by tens of percent from one hour to the next (session 19: the aggregator's own bench gave
 * 26.7k and 37.6k events/s in two suite runs 20 minutes apart, same code), so the suite records it
 * before each section. It sees the CPU's speed only: a slow run of session 19 read the same as a
 * fast stretch (~5.8 ms), so a same reading does not make two runs comparable, a different one
 * says they are not.
 */
export function machineSpeedMs(): number {
  let sink = 0;
  const times: number[] = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    const t0 = performance.now();
    sink += round();
    if (attempt > 0) times.push(performance.now() - t0);
  }
  if (!Number.isFinite(sink)) throw new Error('unreachable: keeps the work from being optimised away');
  times.sort((a, b) => a - b);
  return Math.round(times[3] * 100) / 100;
}
