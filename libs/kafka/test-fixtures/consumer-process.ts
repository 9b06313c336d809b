import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../../..');
const fixture = join(repoRoot, 'libs/kafka/test-fixtures/slow-consumer.fixture.ts');

/** Starts slow-consumer.fixture.ts in a child process and resolves once it joined its group. */
export async function startConsumerProcess(config: object): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', fixture, JSON.stringify(config)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolveReady, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolveReady();
    });
    child.once('exit', (code) =>
      reject(new Error(`consumer process exited (${code}) before ready: ${stderr}`)),
    );
  });
  return child;
}

/** Signals the child and resolves once it exited (at once if it already had). */
export async function stopConsumerProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill(signal);
  await exited;
}
