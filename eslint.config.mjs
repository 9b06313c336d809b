// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import jest from 'eslint-plugin-jest';
import prettier from 'eslint-config-prettier';
import { readdirSync } from 'node:fs';

const libs = [
  'api-auth',
  'config',
  'contracts',
  'embeddings',
  'evaluation',
  'health',
  'kafka',
  'mesh',
  'observability',
  'redis',
  'simulator',
  'testing',
  'vector-store',
];

const libAliasPattern = {
  group: ['@app/*/*', ...libs.map((l) => `**/libs/${l}/**`)],
  message: 'Import a lib only through its alias, e.g. @app/contracts.',
};
// apps/<x> never imports apps/<y>: only apps/nowcast (the one-process mode) composes the others
const apps = readdirSync(new URL('./apps', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const appIsolation = apps
  .filter((app) => app !== 'nowcast')
  .map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            libAliasPattern,
            {
              group: apps
                .filter((other) => other !== app)
                .flatMap((other) => [`**/apps/${other}/**`, `**/${other}/src/**`]),
              message: 'An app never imports another app (only apps/nowcast composes them).',
            },
          ],
        },
      ],
    },
  }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/*/*', ...libs.map((l) => `**/libs/${l}/**`)],
              message: 'Import a lib only through its alias, e.g. @app/contracts.',
            },
          ],
        },
      ],
    },
  },
  {
    // libs never import apps (the one-process app composes them, not the other way round)
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**'], message: 'libs never import apps.' },
            { group: ['@app/*/*'], message: 'Import a lib only through its alias.' },
          ],
        },
      ],
    },
  },
  ...appIsolation,
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'libs/testing/**/*.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  prettier,
);
