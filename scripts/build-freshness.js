// Whether a `nest build <app>` output is older than what it bundles, and the build that refreshes
// it. Shared by `npm start` (scripts/start-nowcast.mjs, plain Node: no TypeScript loader) and
// `npm run start:mesh` (scripts/start-mesh.ts), so it is CommonJS with its types in
// build-freshness.d.ts.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

/** Files outside the sources that change every bundle. */
const BUILD_CONFIGS = ['nest-cli.json', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** Newest mtime (ms) of the .ts sources under `dir` (tests excluded: they are not bundled). */
function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Where `nest build <app>` writes its bundle. */
function bundlePath(root, app) {
  return join(root, 'dist/apps', app, 'main.js');
}

/**
 * The source folders an app's bundle is made of: its own folder and every lib; apps/nowcast
 * composes the four services, so it is made of every app.
 */
function sourceDirs(root, app) {
  return [app === 'nowcast' ? join(root, 'apps') : join(root, 'apps', app), join(root, 'libs')];
}

/** True when the bundle is missing or older than a source or build config it depends on. */
function isStale(root, app) {
  const bundle = bundlePath(root, app);
  if (!existsSync(bundle)) return true;
  const built = statSync(bundle).mtimeMs;
  const sources = Math.max(
    ...sourceDirs(root, app).map(newestSource),
    ...BUILD_CONFIGS.map((file) => (existsSync(join(root, file)) ? statSync(join(root, file)).mtimeMs : 0)),
  );
  return sources > built;
}

/** Builds each stale app (`npx nest build <app>`, output inherited); returns the ones it built; throws if one fails. */
function buildStale(root, apps, log = console.log) {
  const built = [];
  for (const app of apps) {
    if (!isStale(root, app)) continue;
    log(`building apps/${app} (nest build ${app})...`);
    try {
      execFileSync('npx', ['nest', 'build', app], { cwd: root, stdio: 'inherit' });
    } catch {
      // its own output (the compiler errors) is already on the terminal
      throw new Error(`nest build ${app} failed: see the errors above`);
    }
    built.push(app);
  }
  return built;
}

module.exports = { BUILD_CONFIGS, bundlePath, sourceDirs, isStale, buildStale };
