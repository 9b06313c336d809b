import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundlePath, isStale, sourceDirs } from './build-freshness';

describe('build freshness (npm start, npm run start:mesh)', () => {
  let root: string;
  const at = (path: string, seconds: number, text = ''): void => {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    utimesSync(file, seconds, seconds);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'freshness-'));
    at('apps/recommender-api/src/main.ts', 1_000);
    at('apps/event-enricher/src/main.ts', 1_000);
    at('libs/contracts/src/index.ts', 1_000);
    at('package-lock.json', 1_000);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is stale without a bundle, fresh with a newer one', () => {
    expect(bundlePath(root, 'recommender-api')).toBe(join(root, 'dist/apps/recommender-api/main.js'));
    expect(isStale(root, 'recommender-api')).toBe(true);
    at('dist/apps/recommender-api/main.js', 2_000);
    expect(isStale(root, 'recommender-api')).toBe(false);
  });

  it('goes stale when its app, a lib or a build config changes; not for tests or other apps', () => {
    at('dist/apps/recommender-api/main.js', 2_000);
    at('apps/recommender-api/src/feed/feed.spec.ts', 3_000);
    at('libs/contracts/src/x.int-spec.ts', 3_000);
    at('apps/event-enricher/src/main.ts', 3_000);
    expect(isStale(root, 'recommender-api')).toBe(false);
    at('libs/contracts/src/index.ts', 3_000);
    expect(isStale(root, 'recommender-api')).toBe(true);
    at('dist/apps/recommender-api/main.js', 4_000);
    at('package-lock.json', 5_000);
    expect(isStale(root, 'recommender-api')).toBe(true);
  });

  it('treats apps/nowcast as made of every app (it composes them)', () => {
    expect(sourceDirs(root, 'nowcast')).toEqual([join(root, 'apps'), join(root, 'libs')]);
    at('dist/apps/nowcast/main.js', 2_000);
    expect(isStale(root, 'nowcast')).toBe(false);
    at('apps/event-enricher/src/main.ts', 3_000);
    expect(isStale(root, 'nowcast')).toBe(true);
  });
});
