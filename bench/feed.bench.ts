import { deleteRedisPrefix } from './suite/infra';
import { InProcessVectorStore, clusteredSpace, float32ToBuffer, seededRandom } from '@app/vector-store';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import autocannon from 'autocannon';
import { LoadResult, runWrk } from './wrk.load';
import { machineCpuUs } from './machine-cpu';
import { startAllocationSampling } from './alloc-profile';
import { Redis } from 'ioredis';
import { ChildProcess, fork } from 'node:child_process';
import cluster, { Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { PerformanceEntry, PerformanceObserver, constants } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@app/config';
import { SERVICE_NODE_FLAGS } from '@app/mesh';
import { recommenderApiEnvSchema } from '../apps/recommender-api/src/config/recommender-api.config';
import { streamIndexStoreOptions } from '../apps/recommender-api/src/feed/recommender-features.module';
import { recommenderFastifyOptions } from '../apps/recommender-api/src/http/fastify.options';
import { LiveMetricsCache } from '../apps/recommender-api/src/live-metrics/live-metrics.cache';
import { RecommenderApiModule } from '../apps/recommender-api/src/recommender-api.module';
import { streamSnapshot } from '../apps/recommender-api/src/test-support/stream-snapshot.factory';

/**
 * Feed queries over HTTP at concurrency 32 (issue 8 target: >= 3,000 req/s, p99 <= 20 ms):
 *   npm run bench -- feed --redis redis://127.0.0.1:6380 [--streams 10000] [--users 100000]
 *     [--dim 128] [--connections 32] [--duration 10] [--runs 3] [--profile dir] [--floor /health/live]
 *     [--server-flags "--max-semi-space-size=64"] [--users-prefix bench-feed-mine:] [--workers 2]
 *     [--generator autocannon|wrk] [--alloc-profile file.heapprofile [--alloc-retained]]
 * The API runs in a child process (as deployed: its own event loop), with the in-process stream
 * store holding `streams` live vectors and the metrics cache filled; `users` users' state (vector,
 * sellers, follows, categories, impressions) is written to the real Redis under a unique prefix
 * (deleted afterwards). autocannon drives random users' feeds from this process, so the
 * server's CPU per request (its own process.cpuUsage) is measured apart from the load generator.
 * `--profile <dir>` writes the server's V8 CPU profile there (node --cpu-prof) for a flame view;
 * `--alloc-profile <file>` samples every allocation of the server (garbage included: what the
 * young-generation GCs sweep) and prints the top sites; `--floor <path>` loads that path instead (the framework's own cost per request); the server runs
 * with the node flags of a deployed service (SERVICE_NODE_FLAGS, as the image's CMD) unless
 * `--server-flags` gives others (e.g. GC settings to compare, "" for none); `--users-prefix <prefix>` keeps
 * the users under that prefix for the next run (written once, ~1-2 min; delete them yourself) so
 * profiling iterations skip the write. User state follows
 * docs/key-layout.md (seller-counts fields `<sellerId>:chats` / `:watchMs`).
 */
const SELLERS_PER_STREAM = 0.2; // 10k streams -> 2k sellers
const CATEGORIES = Array.from({ length: 24 }, (_, i) => `cat-${i}`);
const LANGUAGES = ['en', 'en', 'en', 'de', 'fr', 'es'];

/** --alloc-profile <file> [--alloc-retained]: '' for none. */
interface AllocProfile {
  file: string;
  retained: boolean;
}

interface Shape {
  streams: number;
  users: number;
  dim: number;
}

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
}

function streamOf(i: number, shape: Shape, now: number) {
  const sellers = Math.max(1, Math.round(shape.streams * SELLERS_PER_STREAM));
  const r = seededRandom(i + 1);
  return {
    id: `st${i}`,
    sellerId: `s${i % sellers}`,
    category: CATEGORIES[i % CATEGORIES.length],
    language: LANGUAGES[i % LANGUAGES.length],
    viewers: Math.floor(r() * 500),
    startedAt: now - Math.floor(r() * 3 * 3_600_000),
  };
}

/** Child: boots the API on a free port with the stores filled, reports the port over IPC. */
async function serve(shape: Shape, redisUrl: string, prefix: string, alloc: AllocProfile): Promise<void> {
  const now = Date.now();
  const env = {
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_MAX: '0',
    PORT: '0',
    EMBEDDING_DIMENSION: String(shape.dim),
  };
  // the store the service's replica would build (same HNSW settings from the same config)
  const settings = loadConfig(recommenderApiEnvSchema, env).recommender;
  const store = new InProcessVectorStore({ dimension: shape.dim, ...streamIndexStoreOptions(settings) });
  const space = clusteredSpace({ dimension: shape.dim, clusters: 64, spread: 0.05, seed: 7 });
  const vectors = space.sample(shape.streams, 11);
  const points = [];
  for (let i = 0; i < shape.streams; i++) {
    const s = streamOf(i, shape, now);
    points.push({
      id: s.id,
      vector: vectors[i],
      payload: {
        live: true,
        sellerId: s.sellerId,
        category: s.category,
        language: s.language,
        title: `show ${i}`,
        startedAt: s.startedAt,
      },
    });
  }
  await store.upsert(points);
  const app = await NestFactory.create<NestFastifyApplication>(
    RecommenderApiModule.forRoot(env, { streamIndex: { store, ready: () => true }, changeFeeds: false }),
    new FastifyAdapter(recommenderFastifyOptions()),
    { logger: false },
  );
  const cache = app.get(LiveMetricsCache);
  for (let i = 0; i < shape.streams; i++) {
    const s = streamOf(i, shape, now);
    cache.apply(
      streamSnapshot(s.id, {
        sellerId: s.sellerId,
        category: s.category,
        language: s.language,
        viewers: s.viewers,
        engagementScore: s.viewers / 10,
        startedAt: s.startedAt,
      }),
    );
  }
  await app.listen(0, '127.0.0.1');
  const stopSampling = alloc.file
    ? startAllocationSampling(alloc.file, { retainedOnly: alloc.retained })
    : null;
  const address = app.getHttpServer().address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  const gc = observeGc();
  process.on('message', (message: string) => {
    // 'cpu': report this process's CPU time so far (us), to divide by the requests served, and its GCs
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuUs: user + system, gc });
    } else
      void (async () => {
        if (stopSampling) console.error('allocation sites (bytes sampled):', await stopSampling());
        await app.close();
        process.exit(0);
      })();
  });
}

/** 100k users' state in Redis, the aggregator's and writer's layout, pipelined 1,000 users at a time. */
async function writeUsers(redis: Redis, shape: Shape): Promise<void> {
  const space = clusteredSpace({ dimension: shape.dim, clusters: 64, spread: 0.05, seed: 7 });
  const sellers = Math.max(1, Math.round(shape.streams * SELLERS_PER_STREAM));
  const now = Date.now();
  for (let start = 0; start < shape.users; start += 1_000) {
    const count = Math.min(1_000, shape.users - start);
    const vectors = space.sample(count, 1_000 + start);
    const p = redis.pipeline();
    for (let j = 0; j < count; j++) {
      const u = start + j;
      const r = seededRandom(u + 99);
      const base = `agg:u:u${u}:`;
      p.set(`emb:user:u${u}`, float32ToBuffer(vectors[j]));
      const sellerArgs: (string | number)[] = [];
      for (let k = 0; k < 8; k++) {
        const seller = `s${Math.floor(r() * sellers)}`;
        sellerArgs.push(Math.round(r() * 100) / 10, seller);
        p.hset(`${base}seller-counts`, `${seller}:chats`, Math.floor(r() * 10));
        p.hset(`${base}seller-counts`, `${seller}:watchMs`, Math.floor(r() * 3_600_000));
      }
      p.zadd(`${base}sellers`, ...sellerArgs);
      p.sadd(`${base}follows`, `s${Math.floor(r() * sellers)}`, `s${Math.floor(r() * sellers)}`);
      p.zadd(
        `${base}categories`,
        3,
        CATEGORIES[u % CATEGORIES.length],
        1,
        CATEGORIES[(u + 5) % CATEGORIES.length],
      );
      for (let k = 0; k < 5; k++) {
        const streamId = `st${Math.floor(r() * shape.streams)}`;
        p.zadd(`${base}shown`, now - Math.floor(r() * 600_000), streamId);
        p.hset(`${base}shown-counts`, `i:${streamId}`, 1 + Math.floor(r() * 3));
      }
    }
    await p.exec();
  }
}

type Generator = 'autocannon' | 'wrk';

function load(
  port: number,
  users: number,
  connections: number,
  duration: number,
  floorPath: string,
  generator: Generator,
): Promise<LoadResult> {
  if (generator === 'wrk') {
    return runWrk({
      port,
      connections,
      durationSec: duration,
      pathExpression: floorPath
        ? JSON.stringify(floorPath)
        : `"/v1/users/u" .. ((n * 7919) % ${users}) .. "/feed?limit=20"`,
    });
  }
  let n = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [
      {
        method: 'GET',
        // a different user each request (a prime stride walks all of them)
        setupRequest: (request) => ({
          ...request,
          path: floorPath || `/v1/users/u${(n++ * 7_919) % users}/feed?limit=20`,
        }),
      },
    ],
  });
}

/** redis-server's CPU time since it started (all its threads), us. */
async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (field: string): number => Number(new RegExp(`${field}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const shape: Shape = {
    streams: Number(arg(args, 'streams', '10000')),
    users: Number(arg(args, 'users', '100000')),
    dim: Number(arg(args, 'dim', '128')),
  };
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const connections = Number(arg(args, 'connections', '32'));
  const duration = Number(arg(args, 'duration', '10'));
  const runs = Number(arg(args, 'runs', '3'));
  // --profile <dir>: the server child writes a V8 CPU profile there on exit (node --cpu-prof)
  const profileDir = arg(args, 'profile', '');
  // --alloc-profile <file>: where the server's allocations come from, garbage included (one worker)
  const allocProfile = arg(args, 'alloc-profile', '');
  // --alloc-retained: with --alloc-profile, only what survived the scavenges (promoted garbage,
  // caches), not every allocation; add --server-flags "--max-semi-space-size=64 --expose-gc"
  const allocRetained = args.includes('--alloc-retained');
  // --floor <path>: load that path instead (e.g. /health/live) to measure the framework's own
  // cost per request (Nest + Fastify + logging), the floor under the feed's figure
  const floorPath = arg(args, 'floor', '');
  // --server-flags "<node flags>": e.g. GC settings to compare (space-separated); default: as deployed
  const flagsAt = args.indexOf('--server-flags');
  const serverFlags = (flagsAt >= 0 ? (args[flagsAt + 1] ?? '') : SERVICE_NODE_FLAGS.join(' '))
    .split(' ')
    .filter((flag) => flag !== '');
  // --users-prefix <prefix>: reuse (and keep) the users written there by an earlier run
  const reusePrefix = arg(args, 'users-prefix', '');
  // --workers <n>: the API as n processes sharing the port (HTTP_WORKERS), e.g. one per core
  const workers = Number(arg(args, 'workers', '1'));
  // --generator wrk: Debian's wrk (C) instead of autocannon, a fraction of its CPU per request
  const generator = arg(args, 'generator', 'autocannon') as Generator;
  if (generator !== 'autocannon' && generator !== 'wrk') throw new Error(`--generator: autocannon or wrk`);
  const prefix = reusePrefix || `bench-feed-${randomUUID().slice(0, 8)}:`;
  const redis = new Redis(redisUrl, { keyPrefix: prefix });
  let child: ChildProcess | null = null;
  try {
    const t0 = Date.now();
    const written = `users-written:${shape.users}:${shape.streams}:${shape.dim}`;
    if (!reusePrefix || (await redis.exists(written)) === 0) {
      await writeUsers(redis, shape);
      if (reusePrefix) await redis.set(written, '1');
    }
    const usersWrittenMs = Date.now() - t0;
    const alloc: AllocProfile = { file: allocProfile, retained: allocRetained };
    const serverConfig = { shape, redisUrl, prefix, workers, alloc };
    child = fork(__filename, ['--feed-bench-server', JSON.stringify(serverConfig)], {
      execArgv: [
        '-r',
        '@swc-node/register',
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        ...serverFlags,
      ],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child!.once('message', (m: { port: number }) => resolve(m.port));
      child!.once('exit', (code) => reject(new Error(`feed server exited with ${code}`)));
    });
    await load(port, shape.users, connections, 3, floorPath, generator); // warm-up (JIT, HNSW caches)
    let lastGc: GcTotals = { ...NO_GC };
    const cpu = (): Promise<number> =>
      new Promise((resolve) => {
        child!.once('message', (m: CpuReport) => {
          lastGc = m.gc;
          resolve(m.cpuUs);
        });
        child!.send('cpu');
      });
    const results: LoadResult[] = [];
    const cpuPerRequestUs: number[] = [];
    const redisCpuPerRequestUs: number[] = [];
    const machineCpuPerRequestUs: number[] = [];
    const gcRuns: ReturnType<typeof gcPerSecond>[] = [];
    for (let i = 0; i < runs; i++) {
      const [before, redisBefore, machineBefore] = [await cpu(), await redisCpuUs(redis), machineCpuUs()];
      const gcBefore = lastGc;
      const result = await load(port, shape.users, connections, duration, floorPath, generator);
      const requests = Math.max(1, result.requests.total);
      cpuPerRequestUs.push(((await cpu()) - before) / requests);
      gcRuns.push(gcPerSecond(gcBefore, lastGc, duration * workers));
      redisCpuPerRequestUs.push(((await redisCpuUs(redis)) - redisBefore) / requests);
      machineCpuPerRequestUs.push((machineCpuUs() - machineBefore) / requests);
      results.push(result);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return {
      shape: {
        ...shape,
        connections,
        durationSec: duration,
        runs,
        workers,
        ...(floorPath ? { floorPath } : {}),
      },
      serverFlags,
      usersWrittenMs,
      reqPerSec: {
        median: median(results.map((r) => r.requests.average)),
        runs: results.map((r) => r.requests.average),
      },
      latencyMs: {
        p50: median(results.map((r) => r.latency.p50)),
        p99: median(results.map((r) => r.latency.p99)),
        p99Runs: results.map((r) => r.latency.p99),
      },
      // server CPU per request: comparable across machine loads, unlike req/s on a shared box
      serverCpuPerRequestUs: { median: median(cpuPerRequestUs), runs: cpuPerRequestUs.map(Math.round) },
      // where the rest of the 2 cores went: redis-server's own CPU, and every core's busy time
      // (server + Redis + the load generator + the kernel's network work + anything else running)
      redisCpuPerRequestUs: median(redisCpuPerRequestUs),
      machineCpuPerRequestUs: median(machineCpuPerRequestUs),
      // young (scavenge) and full GCs per second of one server process, their mean pause, and the
      // longest pause of any (median run; the GC pauses every in-flight request of that process)
      gcPerProcessSecond: {
        scavenges: median(gcRuns.map((g) => g.scavenges)),
        scavengeMeanMs: median(gcRuns.map((g) => g.scavengeMeanMs)),
        fullGcs: median(gcRuns.map((g) => g.fullGcs)),
        maxPauseMs: median(gcRuns.map((g) => g.maxPauseMs)),
      },
      loadAverage1m: loadavg()[0],
      non2xx: results.reduce((a, r) => a + r.non2xx, 0),
      errors: results.reduce((a, r) => a + r.errors, 0),
      targets: { reqPerSec: 3000, p99Ms: 20 },
    };
  } finally {
    if (child && child.exitCode === null) {
      child.send('stop');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    if (!reusePrefix) await deleteRedisPrefix(redisUrl, prefix);
    redis.disconnect();
  }
}

/** A server process's GCs since it started (PerformanceObserver 'gc' entries), ms. */
interface GcTotals {
  scavenges: number;
  scavengeMs: number;
  fullGcs: number;
  fullGcMs: number;
  /** Longest single pause so far. */
  maxPauseMs: number;
}

interface CpuReport {
  cpuUs: number;
  gc: GcTotals;
}

const NO_GC: GcTotals = { scavenges: 0, scavengeMs: 0, fullGcs: 0, fullGcMs: 0, maxPauseMs: 0 };

/** Counts this process's GCs into one object (read at each 'cpu' report). */
function observeGc(): GcTotals {
  const totals = { ...NO_GC };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        totals.scavenges++;
        totals.scavengeMs += entry.duration;
      } else {
        totals.fullGcs++;
        totals.fullGcMs += entry.duration;
      }
      totals.maxPauseMs = Math.max(totals.maxPauseMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  return totals;
}

/** Two processes' GC totals as one (the longest pause of either). */
const addGc = (a: GcTotals, b: GcTotals): GcTotals => ({
  scavenges: a.scavenges + b.scavenges,
  scavengeMs: a.scavengeMs + b.scavengeMs,
  fullGcs: a.fullGcs + b.fullGcs,
  fullGcMs: a.fullGcMs + b.fullGcMs,
  maxPauseMs: Math.max(a.maxPauseMs, b.maxPauseMs),
});

/**
 * One run's GCs per second of one server process (`processSeconds`: duration x workers). The
 * longest pause is the longest since the server started, not only in this run.
 */
function gcPerSecond(before: GcTotals, after: GcTotals, processSeconds: number) {
  const scavenges = after.scavenges - before.scavenges;
  return {
    scavenges: Math.round((100 * scavenges) / processSeconds) / 100,
    scavengeMeanMs:
      scavenges > 0 ? Math.round((100 * (after.scavengeMs - before.scavengeMs)) / scavenges) / 100 : 0,
    fullGcs: Math.round((100 * (after.fullGcs - before.fullGcs)) / processSeconds) / 100,
    maxPauseMs: Math.round(10 * after.maxPauseMs) / 10,
  };
}

/**
 * `--workers N`: the server child is a cluster primary with N workers sharing the port (as
 * HTTP_WORKERS does for the service); it relays the port, sums the workers' CPU and stops them.
 */
async function servePrimary(workers: number): Promise<void> {
  const forked: Worker[] = Array.from({ length: workers }, () => cluster.fork());
  const ports = await Promise.all(
    forked.map(
      (w) => new Promise<number>((resolve) => w.once('message', (m: { port: number }) => resolve(m.port))),
    ),
  );
  process.send?.({ port: ports[0] });
  const cpuOf = (w: Worker): Promise<CpuReport> =>
    new Promise((resolve) => {
      w.once('message', (m: CpuReport) => resolve(m));
      w.send('cpu');
    });
  process.on('message', (message: string) => {
    if (message === 'cpu') {
      void Promise.all(forked.map(cpuOf)).then((reports) => {
        const { user, system } = process.cpuUsage();
        process.send?.({
          cpuUs: reports.reduce((a, r) => a + r.cpuUs, user + system),
          gc: reports.map((r) => r.gc).reduce(addGc),
        });
      });
    } else {
      let alive = forked.length;
      for (const w of forked) {
        w.once('exit', () => --alive === 0 && process.exit(0));
        w.send('stop');
      }
    }
  });
}

if (require.main === module && process.argv[2] === '--feed-bench-server') {
  const { shape, redisUrl, prefix, workers, alloc } = JSON.parse(process.argv[3]) as {
    shape: Shape;
    redisUrl: string;
    prefix: string;
    workers: number;
    alloc: AllocProfile;
  };
  const started =
    workers > 1 && cluster.isPrimary ? servePrimary(workers) : serve(shape, redisUrl, prefix, alloc);
  started.catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
