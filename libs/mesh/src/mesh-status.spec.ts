import { LatencyWindow } from './mesh-status';

describe('LatencyWindow', () => {
  it('gives p50/p99 of the samples since the previous take, then starts over', () => {
    const window = new LatencyWindow();
    expect(window.take()).toBeNull();
    for (let ms = 1; ms <= 100; ms++) window.add(ms);
    expect(window.take()).toEqual({ p50: 51, p99: 100 });
    expect(window.take()).toBeNull();
    window.add(-5); // clock skew: an age is never negative
    expect(window.take()).toEqual({ p50: 0, p99: 0 });
  });
});
