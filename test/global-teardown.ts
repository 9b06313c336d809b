import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '..');

/** Stops the broker and Redis that global-setup started (nothing when the tests were given theirs). */
export default async function globalTeardown(): Promise<void> {
  const started = globalThis.__NOWCAST_TEST_INFRA__;
  if (!started) return;
  await Promise.allSettled([
    run('bash', [join(root, 'scripts/infra/kafka.sh'), 'stop', '--dir', join(started.dir, 'kafka')]),
    run('bash', [join(root, 'scripts/infra/redis.sh'), 'stop', '--dir', join(started.dir, 'redis')]),
  ]);
  rmSync(started.dir, { recursive: true, force: true });
  process.stderr.write(`integration infra: stopped and removed ${started.dir}\n`);
}
