import { freePort } from '@app/mesh';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO_ROOT = resolve(__dirname, '../../..');

/**
 * A Kafka broker and a redis-server owned by ONE fault scenario (free ports, a private folder), so
 * that it may kill them: started and stopped with the project's scripts/infra/kafka.sh and redis.sh.
 * The folder is named nowcast-test-* so that .ci/run's cleanup also catches an aborted run.
 */
export class PrivateInfra {
  private constructor(
    readonly dir: string,
    readonly kafkaPort: number,
    private readonly controllerPort: number,
    readonly redisPort: number,
  ) {}

  static async start(): Promise<PrivateInfra> {
    const dir = mkdtempSync(join(tmpdir(), 'nowcast-test-faults-'));
    const infra = new PrivateInfra(dir, await freePort(), await freePort(), await freePort());
    try {
      await Promise.all([infra.startKafka(), infra.startRedis()]);
    } catch (error) {
      await infra.stop();
      throw error;
    }
    return infra;
  }

  get kafkaBrokers(): string[] {
    return [`127.0.0.1:${this.kafkaPort}`];
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  private get kafkaDir(): string {
    return join(this.dir, 'kafka');
  }

  private get redisDir(): string {
    return join(this.dir, 'redis');
  }

  /** Starts (or restarts, same port and data) the broker; resolves once it logged "started". */
  async startKafka(): Promise<void> {
    await script('kafka.sh', [
      'start',
      '--dir',
      this.kafkaDir,
      '--port',
      String(this.kafkaPort),
      '--controller-port',
      String(this.controllerPort),
      '--heap',
      '512m',
    ]);
  }

  /** SIGKILL of the broker: nothing flushed, in-flight requests lost. */
  async killKafka(): Promise<void> {
    await script('kafka.sh', ['kill', '--dir', this.kafkaDir]);
  }

  async startRedis(): Promise<void> {
    await script('redis.sh', ['start', '--dir', this.redisDir, '--port', String(this.redisPort)]);
  }

  /** SIGTERM (Redis writes its append-only file and exits): the data survives a start. */
  async stopRedis(): Promise<void> {
    await script('redis.sh', ['stop', '--dir', this.redisDir]);
  }

  /** SIGKILL of Redis and removal of its append-only files: the next start is empty. */
  async killRedisAndLoseData(): Promise<void> {
    await script('redis.sh', ['kill', '--dir', this.redisDir]);
    for (const entry of readdirSync(this.redisDir)) {
      if (entry.startsWith('appendonly') || entry.endsWith('.rdb'))
        rmSync(join(this.redisDir, entry), { recursive: true, force: true });
    }
  }

  /** Stops both (even half-started ones) and removes the folder. */
  async stop(): Promise<void> {
    await Promise.allSettled([
      script('kafka.sh', ['stop', '--dir', this.kafkaDir]),
      script('redis.sh', ['stop', '--dir', this.redisDir]),
    ]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function script(name: string, args: string[]): Promise<void> {
  await run('bash', [join(REPO_ROOT, 'scripts/infra', name), ...args], { timeout: 180_000 });
}
