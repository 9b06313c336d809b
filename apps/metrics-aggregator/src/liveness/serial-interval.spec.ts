import { SerialInterval } from './serial-interval';

describe('SerialInterval', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('skips ticks while a run is going, reports a failed run and goes on, and stop waits', async () => {
    const errors: string[] = [];
    let runs = 0;
    let release: () => void = () => undefined;
    const interval = new SerialInterval(
      100,
      () => {
        runs++;
        if (runs === 1) return Promise.reject(new Error('boom'));
        return new Promise<void>((resolve) => (release = resolve));
      },
      (error) => errors.push(error.message),
    );
    interval.start();
    interval.start();
    await jest.advanceTimersByTimeAsync(100);
    expect(errors).toEqual(['boom']);
    await jest.advanceTimersByTimeAsync(300);
    expect(runs).toBe(2);
    let stopped = false;
    const stopping = interval.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    await jest.advanceTimersByTimeAsync(500);
    expect(runs).toBe(2);
  });
});
