import { callbackCheck } from './dependency.check';
import { ReadinessRegistry } from './readiness.registry';
import { ShutdownState, beginShutdownOnSignals } from './shutdown.state';

describe('ShutdownState', () => {
  it('tells its listeners once, and late listeners at once', () => {
    const state = new ShutdownState();
    const early = jest.fn();
    state.onBegin(early);
    state.begin();
    state.onModuleDestroy();
    const late = jest.fn();
    state.onBegin(late);
    expect(early).toHaveBeenCalledTimes(1);
    expect(late).toHaveBeenCalledTimes(1);
    expect(state.shuttingDown).toBe(true);
  });

  it('does not call a listener that unsubscribed', () => {
    const state = new ShutdownState();
    const listener = jest.fn();
    state.onBegin(listener)();
    state.begin();
    expect(listener).not.toHaveBeenCalled();
  });

  it('flips when one of the given signals arrives, before anything else runs', () => {
    const state = new ShutdownState();
    const stop = beginShutdownOnSignals(state, ['SIGUSR2']);
    try {
      // emit calls the listeners synchronously, without delivering a real signal
      process.emit('SIGUSR2');
      expect(state.shuttingDown).toBe(true);
    } finally {
      stop();
    }
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });
});

describe('ReadinessRegistry.onOutcomes', () => {
  it('hands every completed run to its listeners until they unsubscribe', async () => {
    const registry = new ReadinessRegistry(1_000);
    registry.register(callbackCheck('redis', () => Promise.reject(new Error('down'))));
    const seen: boolean[][] = [];
    const stop = registry.onOutcomes((outcomes) => seen.push(outcomes.map((o) => o.up)));
    await registry.runAll();
    stop();
    await registry.runAll();
    expect(seen).toEqual([[false]]);
  });
});
