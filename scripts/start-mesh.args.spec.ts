import { DEFAULT_SIMULATE_RATE, parseStartMeshArgs } from './start-mesh.args';

describe('npm run start:mesh arguments', () => {
  it('defaults: no simulator, Kafka sink, documented ports, the built bundles', () => {
    expect(parseStartMeshArgs([])).toEqual({
      help: false,
      sink: 'kafka',
      seed: 42,
      feedRequestsPerSec: 5,
      infra: false,
      freePorts: false,
      runtime: 'dist',
      build: true,
    });
  });

  it('--simulate takes an optional rate, as the next argument or after =', () => {
    expect(parseStartMeshArgs(['--simulate']).simulateRate).toBe(DEFAULT_SIMULATE_RATE);
    expect(parseStartMeshArgs(['--simulate', '--infra'])).toMatchObject({
      simulateRate: DEFAULT_SIMULATE_RATE,
      infra: true,
    });
    expect(parseStartMeshArgs(['--simulate', '500']).simulateRate).toBe(500);
    expect(parseStartMeshArgs(['--simulate=1000', '--sink', 'http']).simulateRate).toBe(1000);
    expect(parseStartMeshArgs(['--simulate=1000', '--sink', 'http']).sink).toBe('http');
  });

  it('reads the other flags', () => {
    expect(
      parseStartMeshArgs([
        '--seed',
        '7',
        '--feed-rate=0',
        '--free-ports',
        '--runtime',
        'source',
        '--no-build',
        '-h',
      ]),
    ).toMatchObject({
      seed: 7,
      feedRequestsPerSec: 0,
      freePorts: true,
      runtime: 'source',
      build: false,
      help: true,
    });
  });

  it('refuses what it does not understand, naming it', () => {
    expect(() => parseStartMeshArgs(['--simulate', 'fast'])).toThrow(/--simulate/);
    expect(() => parseStartMeshArgs(['--simulate=0'])).toThrow(/--simulate needs a positive number/);
    expect(() => parseStartMeshArgs(['--sink', 'file'])).toThrow(/--sink must be kafka or http/);
    expect(() => parseStartMeshArgs(['--runtime'])).toThrow(/--runtime must be dist or source/);
    expect(() => parseStartMeshArgs(['--seed'])).toThrow(/--seed needs/);
    expect(() => parseStartMeshArgs(['--nope'])).toThrow('unknown argument --nope');
  });
});
