import { deleteRedisPrefix } from './suite/infra';
import { float32ToBuffer, seededRandom } from '@app/vector-store';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { RedisUserStateRepository } from '../apps/recommender-api/src/user-state/redis-user-state.repository';

/**
 * The feed's per-request user-state read alone (RedisUserStateRepository, read-user-state.lua):
 *   npm run bench -- user-state-read --redis redis://127.0.0.1:6379 --users-prefix bench-feed-lead: \
 *     [--reads 16000] [--batch 16] [--rounds 7] [--dim 128]
 *   npm run bench -- user-state-read --redis redis://127.0.0.1:6379 --shape full [--users 2000]
 * Reads random users through the repository class, `batch` reads issued in one event-loop turn (the
 * repository sends them as one pipeline, as under load), one batch in flight. Per read: Redis CPU
 * (INFO cpu of its main thread: everything the server did meanwhile, so other clients of a shared
 * server inflate it - `serverCommandsPerRead` counts the EVALSHA and the commands the script calls
 * (8 at most), more means others were busy; a private redis-server gives clean figures) and this process' CPU (process.cpuUsage: ioredis, decode,
 * signals). Medians of `rounds` rounds. Users: those bench/feed.bench.ts keeps under
 * `--users-prefix` (u0..u99999: ~8 sellers, 2 categories, 5 shown), or `--shape full`: `users`
 * users written at the aggregator's bounds (100 sellers x 4 counts, 50 categories, 200 shown x 2
 * counts, 3 follows) under a unique prefix, deleted afterwards.
 */
const BENCH_USERS = 100_000;
const READ_DEADLINE_MS = 5_000;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

interface ServerCounters {
  cpuUs: number;
  commands: number;
}

async function serverCounters(probe: Redis): Promise<ServerCounters> {
  const info = `${await probe.info('cpu')}\n${await probe.info('stats')}`;
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return {
    cpuUs: (field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread')) * 1e6,
    commands: field('total_commands_processed'),
  };
}

/** `count` users at the aggregator's bounds (docs/key-layout.md "Per user"), 7 commands each. */
async function seedFullUsers(redis: Redis, count: number, dim: number): Promise<void> {
  const vector = float32ToBuffer(new Float32Array(dim).fill(1 / Math.sqrt(dim)));
  for (let u = 0; u < count; u += 50) {
    const p = redis.pipeline();
    for (let k = u; k < Math.min(u + 50, count); k++) {
      const r = seededRandom(k + 1);
      const base = `agg:u:u${k}:`;
      const sellers: (string | number)[] = [];
      const sellerCounts: (string | number)[] = [];
      for (let s = 0; s < 100; s++) {
        const id = `s${(k * 7 + s * 13) % 2000}`;
        sellers.push(r() * 1e6, id);
        sellerCounts.push(
          `${id}:chats`,
          3,
          `${id}:bids`,
          1,
          `${id}:purchases`,
          1,
          `${id}:watchMs`,
          2_617_407,
        );
      }
      const shown: (string | number)[] = [];
      const shownCounts: (string | number)[] = [];
      for (let s = 0; s < 200; s++) {
        const id = `st${(k * 11 + s * 17) % 10_000}`;
        shown.push(1_795_715_962_913 - s * 1_000, id);
        shownCounts.push(`i:${id}`, 3, `c:${id}`, 1);
      }
      const categories = Array.from({ length: 50 }, (_, c) => [r() * 100, `cat-${c}`]).flat();
      p.set(`emb:user:u${k}`, vector);
      p.zadd(`${base}sellers`, ...sellers);
      p.hset(`${base}seller-counts`, ...sellerCounts);
      p.zadd(`${base}categories`, ...categories);
      p.zadd(`${base}shown`, ...shown);
      p.hset(`${base}shown-counts`, ...shownCounts);
      p.sadd(`${base}follows`, 's1', 's2', 's3');
    }
    await p.exec();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round1 = (value: number) => Math.round(value * 10) / 10;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const url = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const full = arg(args, 'shape', 'bench') === 'full';
  const givenPrefix = arg(args, 'users-prefix', '');
  if (!full && !givenPrefix)
    throw new Error('--users-prefix <prefix> (users of bench/feed.bench.ts) or --shape full');
  const prefix = full ? `bench-user-state-${randomUUID().slice(0, 8)}:` : givenPrefix;
  const users = Number(arg(args, 'users', full ? '2000' : String(BENCH_USERS)));
  const reads = Number(arg(args, 'reads', full ? '4000' : '16000'));
  const batch = Number(arg(args, 'batch', '16'));
  const rounds = Number(arg(args, 'rounds', '7'));
  const dim = Number(arg(args, 'dim', '128'));

  const redis = new Redis(url, { keyPrefix: prefix, enableOfflineQueue: false });
  const probe = new Redis(url);
  try {
    await new Promise<void>((resolve) =>
      redis.status === 'ready' ? resolve() : redis.once('ready', resolve),
    );
    if (full) await seedFullUsers(redis, users, dim);
    const repository = new RedisUserStateRepository(
      redis,
      { aggregatorNamespace: 'agg:', userVectorPrefix: 'emb:user:' },
      dim,
    );
    const random = seededRandom(42);
    const ids = Array.from({ length: reads }, () => `u${Math.floor(random() * users)}`);
    const readAll = async () => {
      let degraded = 0;
      for (let i = 0; i < ids.length; i += batch) {
        const states = await Promise.all(
          ids.slice(i, i + batch).map((id) => repository.read(id, READ_DEADLINE_MS)),
        );
        for (const state of states) if (state.degraded) degraded++;
      }
      return degraded;
    };
    await readAll(); // warm-up: JIT, script loaded
    const redisUs: number[] = [];
    const nodeUs: number[] = [];
    const readsPerSec: number[] = [];
    const commands: number[] = [];
    let degraded = 0;
    for (let r = 0; r < rounds; r++) {
      const before = await serverCounters(probe);
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      degraded += await readAll();
      const wallNs = Number(process.hrtime.bigint() - started);
      const used = process.cpuUsage(cpu);
      const after = await serverCounters(probe);
      redisUs.push((after.cpuUs - before.cpuUs) / reads);
      nodeUs.push((used.user + used.system) / reads);
      readsPerSec.push(reads / (wallNs / 1e9));
      commands.push((after.commands - before.commands - 2) / reads);
    }
    return {
      shape: full ? 'full (100 sellers, 50 categories, 200 shown)' : `bench users under ${prefix}`,
      reads,
      batch,
      rounds,
      redisCpuUsPerRead: round1(median(redisUs)),
      nodeCpuUsPerRead: round1(median(nodeUs)),
      totalCpuUsPerRead: round1(median(redisUs) + median(nodeUs)),
      readsPerSec: Math.round(median(readsPerSec)),
      redisCpuUsPerReadByRound: redisUs.map(Math.round),
      nodeCpuUsPerReadByRound: nodeUs.map(Math.round),
      serverCommandsPerRead: round1(median(commands)),
      degraded,
      loadAverage1m: round1(loadavg()[0]),
    };
  } finally {
    redis.disconnect();
    probe.disconnect();
    if (full) await deleteRedisPrefix(url, prefix);
  }
}
