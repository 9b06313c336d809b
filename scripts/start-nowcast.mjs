// `npm start`: builds apps/nowcast when dist/apps/nowcast/main.js is missing or older than any
// source it bundles (apps/**, libs/**, the build configs), then runs it in the foreground.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import freshness from './build-freshness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
try {
  freshness.buildStale(root, ['nowcast']);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
// same V8 flags as the services (Dockerfile CMD, SERVICE_NODE_FLAGS): fewer promotions of per-batch garbage
const child = spawn(
  process.execPath,
  [
    '--max-semi-space-size=64',
    '--min-semi-space-size=64',
    freshness.bundlePath(root, 'nowcast'),
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
// Ctrl-C reaches the whole process group: let the app shut down cleanly and exit with its code
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
