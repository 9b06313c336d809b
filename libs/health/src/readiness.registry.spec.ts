import { callbackCheck } from './dependency.check';
import { ReadinessRegistry } from './readiness.registry';

describe('ReadinessRegistry', () => {
  it('reports each check up or down with its details or error message', async () => {
    const registry = new ReadinessRegistry(1_000);
    registry.register(callbackCheck('a', () => Promise.resolve({ pingMs: 1 })));
    registry.register(callbackCheck('b', () => Promise.reject(new Error('connection refused'))));
    expect(await registry.runAll()).toEqual([
      { name: 'a', up: true, details: { pingMs: 1 } },
      { name: 'b', up: false, details: { message: 'connection refused' } },
    ]);
  });

  it('marks a check that does not settle in time as down', async () => {
    const registry = new ReadinessRegistry(20);
    registry.register(callbackCheck('slow', () => new Promise(() => undefined)));
    const [outcome] = await registry.runAll();
    expect(outcome).toEqual({
      name: 'slow',
      up: false,
      details: { message: 'slow did not answer within 20 ms' },
    });
  });

  it('shares a running check between concurrent callers', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const registry = new ReadinessRegistry(1_000);
    registry.register(
      callbackCheck('once', () => {
        calls += 1;
        return new Promise<void>((resolve) => (release = resolve));
      }),
    );
    const first = registry.runAll();
    const second = registry.runAll();
    release();
    await Promise.all([first, second]);
    expect(calls).toBe(1);
    await registry.runAll();
    expect(calls).toBe(2);
  });

  it('refuses two checks with the same name', () => {
    const registry = new ReadinessRegistry(1_000);
    registry.register(callbackCheck('redis', () => Promise.resolve()));
    expect(() => registry.register(callbackCheck('redis', () => Promise.resolve()))).toThrow(
      'registered twice',
    );
  });

  it('closes what the checks opened on shutdown', async () => {
    const close = jest.fn(() => Promise.resolve());
    const registry = new ReadinessRegistry(1_000);
    registry.register({ name: 'kafka', check: () => Promise.resolve(), close });
    await registry.onApplicationShutdown();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
