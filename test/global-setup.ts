import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
// jest loads the global setup without the @app/* module name mapping ('Cannot find module'), and
// ports.ts imports nothing but node:net
// eslint-disable-next-line no-restricted-imports
import { freePort } from '../libs/mesh/src/ports';

const run = promisify(execFile);
const root = resolve(__dirname, '..');

export interface StartedInfra {
  dir: string;
}

declare global {
  var __NOWCAST_TEST_INFRA__: StartedInfra | undefined;
}

async function script(name: string, args: string[]): Promise<void> {
  const { stderr } = await run('bash', [join(root, 'scripts/infra', name), ...args], { timeout: 180_000 });
  process.stderr.write(stderr);
}

/**
 * Integration tests get their OWN Kafka broker and Redis on free ports, never a developer's
 * `infra:up` (9092/6379). TEST_KAFKA_BROKERS and TEST_REDIS_URL, when both set, are used instead.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_KAFKA_BROKERS && process.env.TEST_REDIS_URL) {
    process.stderr.write(
      `\nintegration infra: using TEST_KAFKA_BROKERS=${process.env.TEST_KAFKA_BROKERS} TEST_REDIS_URL=${process.env.TEST_REDIS_URL}\n`,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nowcast-test-'));
  const [kafkaPort, controllerPort, redisPort] = [await freePort(), await freePort(), await freePort()];
  globalThis.__NOWCAST_TEST_INFRA__ = { dir };
  process.stderr.write(`\nintegration infra: starting a Kafka broker and Redis under ${dir}\n`);
  await Promise.all([
    script('kafka.sh', [
      'start',
      '--dir',
      join(dir, 'kafka'),
      '--port',
      String(kafkaPort),
      '--controller-port',
      String(controllerPort),
    ]),
    script('redis.sh', ['start', '--dir', join(dir, 'redis'), '--port', String(redisPort)]),
  ]);
  process.env.TEST_KAFKA_BROKERS = `127.0.0.1:${kafkaPort}`;
  process.env.TEST_REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  process.env.TEST_INFRA_DIR = dir;
  process.stderr.write(
    `integration infra: Kafka on ${process.env.TEST_KAFKA_BROKERS}, Redis on ${process.env.TEST_REDIS_URL}\n`,
  );
}
