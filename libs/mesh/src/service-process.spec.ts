import { EXTRA_NODE_FLAGS_ENV, SERVICE_NODE_FLAGS, serviceNodeFlags } from './service-process';

describe('serviceNodeFlags', () => {
  it('is the services flags alone when the child environment adds none', () => {
    expect(serviceNodeFlags({ PATH: '/bin' })).toEqual(SERVICE_NODE_FLAGS);
  });

  it('appends the whitespace-separated flags of the child environment (V8 flags NODE_OPTIONS refuses)', () => {
    expect(serviceNodeFlags({ [EXTRA_NODE_FLAGS_ENV]: ' --trace-gc   --trace-gc-nvp ' })).toEqual([
      ...SERVICE_NODE_FLAGS,
      '--trace-gc',
      '--trace-gc-nvp',
    ]);
  });
});
