import { readFileSync } from 'node:fs';
import { ENV_DOCS_PATH, renderEnvDocs } from '../scripts/generate-env-docs';
import { DEPLOYED_SERVICES } from '../scripts/service-env-schemas';
import { describeEnv } from '@app/config';

describe('docs/configuration.md', () => {
  it('is what `npm run docs:env` generates from the config schemas today', () => {
    // on failure: run `npm run docs:env` and commit docs/configuration.md
    expect(readFileSync(ENV_DOCS_PATH, 'utf8')).toBe(renderEnvDocs());
  });

  it('names every variable of every service', () => {
    const doc = renderEnvDocs();
    for (const { schema } of DEPLOYED_SERVICES) {
      for (const { name } of describeEnv(schema))
        expect(doc).toMatch(new RegExp(`^\\| \`${name}\` +\\|`, 'm'));
    }
  });
});
