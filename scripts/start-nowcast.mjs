// `npm start`: builds apps/nowcast when dist/apps/nowcast/main.js is missing or older than any
// source it bundles (apps/**, libs/**, the build configs), then runs it in the foreground.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const output = join(root, 'dist/apps/nowcast/main.js');
const configs = ['nest-cli.json', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** Newest mtime (ms) of the .ts sources under `dir` (tests excluded: they are not bundled). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function stale() {
  if (!existsSync(output)) return true;
  const built = statSync(output).mtimeMs;
  const sources = Math.max(
    newestSource(join(root, 'apps')),
    newestSource(join(root, 'libs')),
    ...configs.map((file) => (existsSync(join(root, file)) ? statSync(join(root, file)).mtimeMs : 0)),
  );
  return sources > built;
}

if (stale()) {
  console.log('building apps/nowcast (nest build nowcast)...');
  execFileSync('npx', ['nest', 'build', 'nowcast'], { cwd: root, stdio: 'inherit' });
}
const child = spawn(process.execPath, [output, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches the whole process group: let the app shut down cleanly and exit with its code
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
