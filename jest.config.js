// Two projects: unit specs (no network) and integration specs against the real Kafka and Redis
// that test/global-setup.ts starts on free ports (or TEST_KAFKA_BROKERS / TEST_REDIS_URL).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathsToModuleNameMapper } = require('./test/paths-to-module-name-mapper');

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(),
  roots: ['apps', 'libs', 'test', 'bench', 'scripts']
    .filter((dir) => existsSync(join(__dirname, dir)))
    .map((dir) => `<rootDir>/${dir}`),
};

module.exports = {
  // Integration tests start brokers, consumers and child processes: generous, but finite.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
    {
      // `npm run test:faults`: the fault-injection suite (test/faults). Each *.fault-spec.ts starts
      // its own broker and Redis; the fast *.int-spec.ts subset there also runs in `integration`.
      ...common,
      displayName: 'faults',
      roots: ['<rootDir>/test/faults'],
      testMatch: ['**/*.fault-spec.ts', '**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
