import Redis from 'ioredis';
import { loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { machineCpuUs, processCpuMs } from './machine-cpu';
import { cpuProfileEnv, cpuProfileFiles, summarizeCpuProfile, toggleCpuProfiles } from './hops-cpu-profile';
import { HopTracer, Sighting, nowMs } from './hops-tracer';
import { achievedRateOf, startLoad } from './suite/load-generator';
import { startMeshTarget } from './suite/mesh.target';
import { quantile, round } from './suite/percentiles';
import { parseServiceEnv } from './suite/suite-options';
import { SuiteTarget } from './suite/suite-target';
import { arg } from './cli-args';
import { probeEvent } from './probe-event';

/**
 * Hop tracer: where a probe event's time goes on its way through the mesh. For each background rate
 * (`--rates 0,2500`, events/s of simulator load) it produces `--probes` stream.started events of
 * followed sellers and, per probe, the ms from the produce call until: the broker acked it; the raw
 * record was visible; the enricher's output record was created (its CreateTime), visible uncommitted,
 * visible read-committed (commit marker written, LSO advanced); its lifecycle record (same
 * transaction) was visible uncommitted (as the recommender reads it) and committed; the enricher's
 * fast lane wrote the same start (`lifecycleFastCreated`, its CreateTime) and it was visible; the aggregator
 * applied it in Redis; its metrics change-feed record was created and visible; GET /v1/streams/{id}
 * said live (`apiLive`: the recommender's cache); the follower's feed listed it (and how long that
 * listing request took, `feedRequestMs`). Then the same for stream.ended (the feed no longer lists
 * it). Also the CPU each mesh process, the broker and Redis (when local) used, and every core's busy
 * time per event (the pipeline's whole budget). The tracer's consumers and its three pollers load the
 * machine too: at no load they add ms of their own (each feed request 10-16 ms instead of 3-5), so
 * the path alone at no load is `npm run bench -- visibility`.
 *
 * `npm run bench -- hops --brokers 127.0.0.1:9092 --redis redis://127.0.0.1:6379 --rates 0,2500 --probes 30`
 * `--cpu-prof <dir>`: a V8 CPU profile of every service over each rate's probe window, written to
 * `<dir>` and summarised (top functions by self and inclusive time) in the result.
 */
const TIMEOUT_MS = 5_000;
const PAIRS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type HopTimes = Record<string, number | undefined>;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const brokers = arg(args, 'brokers', '127.0.0.1:9092').split(',');
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const rates = arg(args, 'rates', '0,2500').split(',').map(Number);
  const probes = Number(arg(args, 'probes', '30'));
  const runtime = arg(args, 'runtime', 'auto') as 'auto' | 'dist' | 'source';
  // --env A=1,B=2: settings for every service (A/B runs)
  const env = parseServiceEnv(arg(args, 'env', ''));
  const profileDir = arg(args, 'cpu-prof', '');
  const profileEnv = profileDir ? cpuProfileEnv(profileDir) : {};
  const target = await startMeshTarget({ brokers, redisUrl, runtime, env: { ...env, ...profileEnv } });
  const described = target.describe() as {
    topicPrefix: string;
    redisPrefix: string;
    runtime: string;
    processes: { name: string; pid?: number }[];
  };
  const t = described.topicPrefix;
  // the services, and the broker's and Redis' CPU too (when local): the pipeline's whole budget
  const accounted = target.processes();
  const id = randomUUID().slice(0, 8);
  const keyPrefix = `hp-${id}-`;
  const tracer = new HopTracer(
    brokers,
    [
      { name: 'raw', topic: `${t}events.raw`, readCommitted: false, envelope: true },
      { name: 'enrichedUncommitted', topic: `${t}events.enriched`, readCommitted: false, envelope: true },
      { name: 'enrichedCommitted', topic: `${t}events.enriched`, readCommitted: true, envelope: true },
      { name: 'lifecycle', topic: `${t}streams.lifecycle`, readCommitted: true, envelope: false },
      // the recommender reads the lifecycle feed uncommitted
      { name: 'lifecycleUncommitted', topic: `${t}streams.lifecycle`, readCommitted: false, envelope: false },
      // the enricher's fast lane: the same start or end, written as fetched (no transaction)
      { name: 'lifecycleFast', topic: `${t}streams.lifecycle-fast`, readCommitted: false, envelope: false },
      { name: 'metrics', topic: `${t}metrics.streams`, readCommitted: true, envelope: false },
    ],
    keyPrefix,
  );
  const redis = new Redis(redisUrl, { lazyConnect: true });
  const byRate: Record<string, unknown> = {};
  try {
    await redis.connect();
    await tracer.start();
    const category = `hops-${id}`;
    const pairs = Array.from({ length: PAIRS }, (_, k) => ({
      user: `hu-${id}-${k}`,
      seller: `hs-${id}-${k}`,
    }));
    for (const { user, seller } of pairs)
      await target.produce(probeEvent('seller.followed', { userId: user, sellerId: seller }));
    await sleep(2_000);
    for (const [index, rate] of rates.entries()) {
      // each rate its own marketplace: the same seed again would repeat the event ids (dropped as
      // duplicates by the enricher) and restart the same streams; rate 0 is a window without load
      const load = startLoad({
        sink: target.loadSink,
        rate,
        durationSec: 3_600,
        seed: 5 + index,
        idPrefix: `r${index + 1}.`,
        live: true,
      });
      await load.started;
      if (rate > 0) await sleep(3_000); // let the pipeline reach its steady state under the load
      const pids = described.processes.flatMap(({ pid }) => (pid ? [pid] : []));
      const profilesBefore = new Set(profileDir ? cpuProfileFiles(profileDir) : []);
      if (profileDir) toggleCpuProfiles(pids); // start
      const cpu0 = processCpuMs(accounted);
      const machine0 = machineCpuUs();
      const wall0 = Date.now();
      const starts: HopTimes[] = [];
      const ends: HopTimes[] = [];
      for (let i = 0; i < probes + 3; i++) {
        const { user, seller } = pairs[i % PAIRS];
        const streamId = `${keyPrefix}${rate}-${i}`;
        const feed = `${target.recommenderUrl}/v1/users/${user}/feed?limit=20&category=${category}`;
        const up = await probeStart(
          target,
          redis,
          tracer,
          described.redisPrefix,
          feed,
          streamId,
          seller,
          category,
        );
        const down = await probeEnd(target, tracer, feed, streamId);
        if (i >= 3) {
          starts.push(up);
          ends.push(down);
        }
        console.error(`rate ${rate} probe ${i}: ${fmt(up)} | end ${fmt(down)}`);
        await sleep(20 + Math.random() * 40);
      }
      const wallSec = (Date.now() - wall0) / 1000;
      const cpu1 = processCpuMs(accounted);
      const machineUs = machineCpuUs() - machine0;
      if (profileDir) {
        toggleCpuProfiles(pids); // stop and write
        await sleep(2_000);
      }
      const cpuProfiles = profileDir
        ? Object.fromEntries(
            cpuProfileFiles(profileDir)
              .filter((file) => !profilesBefore.has(file))
              .map((file) => [file, summarizeCpuProfile(file)]),
          )
        : undefined;
      load.stop();
      const achieved = achievedRateOf(await load.done.catch(() => load.progress()));
      byRate[String(rate)] = {
        achievedEventsPerSec: Math.round(achieved),
        // all of a process's CPU over the probe window / events in it (idle polling included), us
        cpuUsPerEventByProcess:
          achieved > 0
            ? Object.fromEntries(
                Object.entries(cpu1).map(([name, ms]) => [
                  name,
                  round(((ms - (cpu0[name] ?? 0)) * 1000) / wallSec / achieved, 1),
                ]),
              )
            : null,
        // every core's busy time over the window / events: the whole pipeline's cost per event
        // (services, broker, Redis, the load generator, the tracer, the kernel)
        machineCpuUsPerEvent: achieved > 0 ? round(machineUs / wallSec / achieved, 1) : null,
        loadAverage1m: round(loadavg()[0]),
        startMs: summarizeHops(starts),
        endMs: summarizeHops(ends),
        cpuPercentByProcess: Object.fromEntries(
          Object.entries(cpu1).map(([name, ms]) => [
            name,
            round((ms - (cpu0[name] ?? 0)) / 10 / wallSec, 1), // ms of CPU per s / 10 = % of a core
          ]),
        ),
        ...(cpuProfiles ? { cpuProfiles } : {}),
      };
      if (rate > 0) await sleep(3_000); // drain before the next rate
    }
  } finally {
    await tracer.stop().catch(() => undefined);
    redis.disconnect();
    await target.stop();
  }
  return { runtime: described.runtime, env, probes, byRate };
}

async function probeStart(
  target: SuiteTarget,
  redis: Redis,
  tracer: HopTracer,
  redisPrefix: string,
  feed: string,
  streamId: string,
  sellerId: string,
  category: string,
): Promise<HopTimes> {
  const start = probeEvent('stream.started', {
    streamId,
    sellerId,
    title: streamId,
    category,
    tags: [],
    language: 'en',
  });
  const t0 = nowMs();
  await target.produce(start);
  const acked = nowMs() - t0;
  const timed = { lastMs: 0 };
  const [applied, inCache, visible] = await Promise.all([
    until(t0, async () => (await redis.exists(`${redisPrefix}agg:s:${streamId}`)) === 1),
    until(t0, async () => (await liveInApi(target, streamId)) === true),
    until(t0, async () => (await listed(feed, streamId, timed)) === true),
  ]);
  await until(t0, () => Promise.resolve(tracer.firstSince('metrics', streamId, t0) !== undefined));
  return {
    acked,
    ...kafkaHops(tracer, streamId, 'stream.started', t0),
    redisApplied: applied,
    apiLive: inCache,
    feed: visible,
    feedRequestMs: timed.lastMs,
  };
}

async function probeEnd(
  target: SuiteTarget,
  tracer: HopTracer,
  feed: string,
  streamId: string,
): Promise<HopTimes> {
  const t0 = nowMs();
  await target.produce(probeEvent('stream.ended', { streamId }));
  const acked = nowMs() - t0;
  const timed = { lastMs: 0 };
  const [ended, gone] = await Promise.all([
    until(t0, async () => (await liveInApi(target, streamId)) === false),
    until(t0, async () => (await listed(feed, streamId, timed)) === false),
  ]);
  await until(t0, () => Promise.resolve(tracer.firstSince('metrics', streamId, t0) !== undefined));
  return {
    acked,
    ...kafkaHops(tracer, streamId, 'stream.ended', t0),
    apiLive: ended,
    feed: gone,
    feedRequestMs: timed.lastMs,
  };
}

function kafkaHops(tracer: HopTracer, streamId: string, type: string, t0: number): HopTimes {
  const rel = (s: Sighting | undefined, field: 'seenAt' | 'recordAt') => (s ? s[field] - t0 : undefined);
  const metrics = tracer.firstSince('metrics', streamId, t0);
  const lifecycle = tracer.firstSince('lifecycle', streamId, t0);
  const fast = tracer.firstSince('lifecycleFast', streamId, t0);
  return {
    rawSeen: rel(tracer.first('raw', streamId, type), 'seenAt'),
    enrichedCreated: rel(tracer.first('enrichedUncommitted', streamId, type), 'recordAt'),
    enrichedSeenUncommitted: rel(tracer.first('enrichedUncommitted', streamId, type), 'seenAt'),
    enrichedSeenCommitted: rel(tracer.first('enrichedCommitted', streamId, type), 'seenAt'),
    lifecycleFastCreated: rel(fast, 'recordAt'),
    lifecycleFastSeen: rel(fast, 'seenAt'),
    lifecycleSeenUncommitted: rel(tracer.firstSince('lifecycleUncommitted', streamId, t0), 'seenAt'),
    lifecycleSeen: rel(lifecycle, 'seenAt'),
    metricsCreated: rel(metrics, 'recordAt'),
    metricsSeen: rel(metrics, 'seenAt'),
  };
}

/** Polls `check` (back to back, 1 ms apart) until true; ms from t0, undefined after the timeout. */
async function until(t0: number, check: () => Promise<boolean>): Promise<number | undefined> {
  for (;;) {
    if (await check().catch(() => false)) return nowMs() - t0;
    if (nowMs() - t0 > TIMEOUT_MS) return undefined;
    await sleep(1);
  }
}

/** Whether the feed lists the stream; `timed.lastMs` = how long this request took, ms. */
async function listed(
  feed: string,
  streamId: string,
  timed: { lastMs: number },
): Promise<boolean | undefined> {
  const sent = nowMs();
  const body = await fetch(feed, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    .then((r) => r.json() as Promise<{ items?: { streamId: string }[] }>)
    .catch(() => ({ items: undefined }));
  timed.lastMs = nowMs() - sent;
  return body.items?.some((item) => item.streamId === streamId);
}

/** Whether GET /v1/streams/{id} says live (the recommender's cache, without a feed's ranking). */
async function liveInApi(target: SuiteTarget, streamId: string): Promise<boolean | undefined> {
  const body = await fetch(`${target.recommenderUrl}/v1/streams/${streamId}`, {
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
    .then((r) => (r.ok ? (r.json() as Promise<{ live?: boolean }>) : { live: undefined }))
    .catch(() => ({ live: undefined }));
  return body.live;
}

function summarizeHops(samples: HopTimes[]): Record<string, unknown> {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s)))];
  return Object.fromEntries(
    names.map((name) => {
      const values = samples.map((s) => s[name]).filter((v): v is number => v !== undefined);
      const q = (p: number) => round(quantile(values, p), 1);
      return [name, { p50: q(0.5), p90: q(0.9), p99: q(0.99), missing: samples.length - values.length }];
    }),
  );
}

const fmt = (h: HopTimes): string =>
  Object.entries(h)
    .map(([k, v]) => `${k} ${v === undefined ? '-' : v.toFixed(0)}`)
    .join(', ');
