import { waitForQuietMachine } from './quiet-machine';

/** A machine whose busy time grows by `busyPerWindowUs[i]` in window i (then stays at the last). */
function machine(busyPerWindowUs: number[]): () => number {
  let calls = 0;
  let busy = 0;
  return () => {
    // called twice per window: before and after
    if (calls % 2 === 1) busy += busyPerWindowUs[Math.min((calls - 1) / 2, busyPerWindowUs.length - 1)];
    calls++;
    return busy;
  };
}

describe('waitForQuietMachine', () => {
  // windows of 20 ms on 2 cores: 40,000 us of CPU = 100 % (busy windows here are far above, so a slow timer cannot make them look quiet)
  const options = { busyBelowPct: 10, windowMs: 20, cores: 2 };

  it('returns after the first quiet window', async () => {
    const wait = await waitForQuietMachine({
      ...options,
      maxWaitMs: 1_000,
      busyUs: machine([400_000, 300_000, 1_000]),
    });
    expect(wait.quiet).toBe(true);
    expect(wait.busyPct).toBeLessThan(10);
    expect(wait.waitedMs).toBeGreaterThanOrEqual(3 * 20 - 5);
  });

  it('gives up at maxWaitMs on a machine that stays busy, saying so', async () => {
    const wait = await waitForQuietMachine({ ...options, maxWaitMs: 50, busyUs: machine([400_000]) });
    expect(wait.quiet).toBe(false);
    expect(wait.busyPct).toBeGreaterThanOrEqual(10);
    expect(wait.waitedMs).toBeGreaterThanOrEqual(50);
  });
});
