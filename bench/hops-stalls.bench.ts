import { MESH_SERVICES, Mesh, sumSamples } from '@app/mesh';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { cpuProfileEnv, cpuProfileFiles, summarizeCpuProfile, toggleCpuProfiles } from './hops-cpu-profile';
import { infraProcesses, machineCpuUs, processCpuMs } from './machine-cpu';
import { deleteKafkaState, deleteRedisPrefix } from './suite/infra';
import { LagMonitor } from './suite/lag-monitor';
import { achievedRateOf, startLoad } from './suite/load-generator';
import { parseServiceEnv } from './suite/suite-options';
import { round } from './suite/percentiles';
import { ROOT, pickRuntime } from './suite/suite-target';
import { isolatedMeshNames } from './suite/mesh.target';
import { arg } from './cli-args';

/**
 * Stall tracer: what happens around the moments a consumer group lags. Runs the mesh (own topics,
 * groups, Redis prefix) under each of `--rates` (events/s of simulator load, one after the other,
 * `--sec` seconds each, in the same mesh: a burst and what follows it) and every `--sample-ms`
 * records each group's lag (committed offsets, as the suite's ingest section sees it), each
 * process' CPU (services, broker, Redis: % of a core over the sample), the whole machine's busy
 * share and how long one feed request took (the recommender's event loop). Per rate: handler
 * batches per second and their mean wall time (each service's /metrics), records appended to every
 * topic per event of load (how much downstream work an event makes), max lag, mean CPU, the
 * slowest feed request. Every service line (warnings, and V8's GC lines with `--gc`: the services
 * then run with `--trace-gc`) is kept with its time: the result lists every lag peak over
 * `--peak-sec` with the samples and service lines of the 3 s before it, GC pauses of at least
 * `--gc-min-ms`, and the other lines by kind with a count. `--cpu-prof <dir>`: a V8 CPU profile of
 * every service per rate (hops-cpu-profile.ts); `--env K=V,...` as in the hops bench.
 *
 * `npm run bench -- hops-stalls --rates 5000,1300,650 --sec 15 --runtime dist --redis redis://127.0.0.1:6390 [--gc]`
 */
interface Sample {
  atMs: number;
  lag: Record<string, number>;
  /** % of one core over the sample */
  cpu: Record<string, number>;
  machinePct: number;
  feedMs: number | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const brokers = arg(args, 'brokers', '127.0.0.1:9092').split(',');
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const rates = arg(args, 'rates', arg(args, 'rate', '1300'))
    .split(',')
    .map(Number);
  const seconds = Number(arg(args, 'sec', '30'));
  const sampleMs = Number(arg(args, 'sample-ms', '250'));
  const peakSec = Number(arg(args, 'peak-sec', '0.5'));
  const gcMinMs = Number(arg(args, 'gc-min-ms', '20'));
  const runtime = pickRuntime(MESH_SERVICES, arg(args, 'runtime', 'auto') as 'auto' | 'dist' | 'source');
  const env = parseServiceEnv(arg(args, 'env', ''));
  if (args.includes('--gc')) env.NOWCAST_NODE_FLAGS = '--trace-gc';
  // --cpu-prof <dir>: a V8 CPU profile of every service per rate phase (hops-cpu-profile.ts)
  const profileDir = arg(args, 'cpu-prof', '');
  if (profileDir) Object.assign(env, cpuProfileEnv(profileDir));
  const id = `bench-${randomUUID().slice(0, 8)}`;
  const { topics, groups, env: isolated } = isolatedMeshNames(id);
  const lines: { atMs: number; line: string }[] = [];
  const mesh = await Mesh.start({
    root: ROOT,
    kafkaBrokers: brokers,
    redisUrl,
    runtime,
    ports: 'free',
    parentEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
    env: { ...isolated, ...env },
    onLine: (line) => lines.push({ atMs: Date.now(), line }),
    readyTimeoutMs: 120_000,
  });
  const monitor = new LagMonitor(brokers, [
    { name: 'enricher', groupId: groups.ENRICHER_GROUP_ID, topic: topics.TOPIC_RAW },
    { name: 'aggregator', groupId: groups.AGGREGATOR_GROUP_ID, topic: topics.TOPIC_ENRICHED },
    { name: 'writer', groupId: groups.EMBEDDING_GROUP_ID, topic: topics.TOPIC_ENRICHED, suffixed: true },
  ]);
  const processes = [
    ...mesh
      .all()
      .map((p) => ({ name: p.name.replace(/^(event|metrics|embedding|recommender)-/, ''), pid: p.pid })),
    ...infraProcesses(brokers, redisUrl),
  ];
  const feedUrl = `${mesh.recommenderUrl}/v1/users/stall-${id}/feed?limit=20`;
  const samples: Sample[] = [];
  const startLine = lines.length;
  const phases: Record<string, unknown>[] = [];
  const admin = new Kafka({ brokers, clientId: 'nowcast-bench-stalls', logLevel: logLevel.NOTHING }).admin();
  const t0 = Date.now();
  try {
    await monitor.connect();
    await admin.connect();
    for (const [index, rate] of rates.entries()) {
      const load = startLoad({
        sink: { kind: 'kafka', brokers, topic: topics.TOPIC_RAW },
        rate,
        durationSec: seconds,
        seed: 1_000 + index,
        idPrefix: `p${index + 1}.`,
      });
      await load.started;
      // a watermark sample at the phase's start (see the ingest section: no lag dated into the gap)
      await monitor.sample().catch(() => ({}));
      const batches0 = await batchCounts(mesh);
      const records0 = await topicRecords(admin, topics);
      const pids = mesh.all().flatMap(({ pid }) => (pid ? [pid] : []));
      const profilesBefore = new Set(profileDir ? cpuProfileFiles(profileDir) : []);
      if (profileDir) toggleCpuProfiles(pids); // start
      const phaseStart = Date.now();
      const first = samples.length;
      let finished = false;
      void load.done.finally(() => (finished = true));
      let tailUntil = Infinity;
      let cpu0 = processCpuMs(processes);
      let machine0 = machineCpuUs();
      let at0 = Date.now();
      while (Date.now() < tailUntil) {
        await sleep(sampleMs);
        if (finished && tailUntil === Infinity) tailUntil = Date.now() + 2_000;
        const feedStart = performance.now();
        const feedMs = await fetch(feedUrl, { signal: AbortSignal.timeout(5_000) })
          .then((r) => r.arrayBuffer())
          .then(() => performance.now() - feedStart)
          .catch(() => null);
        const lag = await monitor.sample().catch(() => ({}));
        const now = Date.now();
        const cpu1 = processCpuMs(processes);
        const machine1 = machineCpuUs();
        const wallMs = Math.max(1, now - at0);
        samples.push({
          atMs: now - t0,
          lag,
          cpu: Object.fromEntries(
            Object.entries(cpu1).map(([name, ms]) => [
              name,
              Math.round(((ms - (cpu0[name] ?? 0)) / wallMs) * 100),
            ]),
          ),
          machinePct: Math.round((machine1 - machine0) / 10 / wallMs / 2),
          feedMs: feedMs === null ? null : round(feedMs, 1),
        });
        cpu0 = cpu1;
        machine0 = machine1;
        at0 = now;
      }
      const loadReport = await load.done.catch(() => load.progress());
      if (profileDir) {
        toggleCpuProfiles(pids); // stop and write
        await sleep(2_000);
      }
      const batches1 = await batchCounts(mesh);
      const records1 = await topicRecords(admin, topics);
      const windowSec = (Date.now() - phaseStart) / 1000;
      const mine = samples.slice(first);
      const feeds = mine.map((x) => x.feedMs ?? 5_000);
      phases.push({
        rate,
        achievedEventsPerSec: Math.round(achievedRateOf(loadReport)),
        closedShows: loadReport.closedShows,
        loadAverage1m: round(loadavg()[0]),
        maxLagSec: Object.fromEntries(
          ['enricher', 'aggregator', 'writer'].map((g) => [
            g,
            Math.max(0, ...mine.map((x) => x.lag[g] ?? 0)),
          ]),
        ),
        meanCpuPct: Object.fromEntries(
          Object.keys(mine[0]?.cpu ?? {}).map((k) => [
            k,
            round(mine.reduce((a, x) => a + (x.cpu[k] ?? 0), 0) / mine.length, 0),
          ]),
        ),
        // records appended to each topic per event of load (change feeds: how much downstream work an event makes)
        recordsPerEvent: Object.fromEntries(
          Object.entries(records1).map(([name, n]) => [
            name,
            round((n - (records0[name] ?? 0)) / Math.max(1, loadReport.written), 3),
          ]),
        ),
        meanMachinePct: round(mine.reduce((a, x) => a + x.machinePct, 0) / Math.max(1, mine.length), 0),
        feedMsMax: round(Math.max(...feeds), 1),
        ...(profileDir
          ? {
              cpuProfiles: Object.fromEntries(
                cpuProfileFiles(profileDir)
                  .filter((file) => !profilesBefore.has(file))
                  .map((file) => [file, summarizeCpuProfile(file)]),
              ),
            }
          : {}),
        // handler batches per second and their mean wall time (each one a transaction in the enricher)
        batches: Object.fromEntries(
          Object.entries(batches1).map(([name, b]) => {
            const count = b.count - (batches0[name]?.count ?? 0);
            const sec = b.sec - (batches0[name]?.sec ?? 0);
            return [
              name,
              { perSec: round(count / windowSec, 1), meanMs: round((sec * 1000) / Math.max(1, count), 2) },
            ];
          }),
        ),
      });
    }
  } finally {
    const joined = await monitor.groupIds().catch(() => Object.values(groups));
    await monitor.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await mesh.stop();
    await deleteKafkaState(brokers, `${id}.`, [...new Set([...Object.values(groups), ...joined])]).catch(
      () => undefined,
    );
    await deleteRedisPrefix(redisUrl, `${id}:`).catch(() => undefined);
  }
  for (const x of samples)
    console.error(
      `${(x.atMs / 1000).toFixed(2)}s lag ${fmt(x.lag)} | cpu ${fmt(x.cpu)} machine ${x.machinePct}% | feed ${x.feedMs ?? '-'} ms`,
    );
  const mineLines = lines.slice(startLine).map(({ atMs, line }) => ({ atMs: atMs - t0, line }));
  return {
    runtime,
    phases,
    peaks: peaks(samples, peakSec, sampleMs).map((peak) => ({
      ...peak,
      lines: mineLines
        .filter(({ atMs }) => atMs >= peak.atMs - 3_000 && atMs <= peak.atMs)
        .filter(({ line }) => (gcPauseMs(line) ?? gcMinMs) >= gcMinMs)
        .slice(-15)
        .map(({ atMs, line }) => `${(atMs / 1000).toFixed(2)}s ${line.slice(0, 240)}`),
    })),
    gcPauses: mineLines
      .filter(({ line }) => (gcPauseMs(line) ?? 0) >= gcMinMs)
      // whole: V8 puts the reason (allocation failure, external memory pressure, task...) last
      .map(({ atMs, line }) => `${(atMs / 1000).toFixed(2)}s ${line}`),
    // the other lines by kind (service + the start of the message), with a count and the first one whole
    otherLines: Object.values(
      mineLines
        .filter(({ line }) => gcPauseMs(line) === null)
        .reduce<Record<string, { count: number; first: string }>>((acc, { atMs, line }) => {
          const kind = `${/^\[[^\]]+\]/.exec(line)?.[0] ?? ''} ${/"msg":"(.{0,60})/.exec(line)?.[1] ?? line.slice(0, 80)}`;
          acc[kind] ??= { count: 0, first: `${(atMs / 1000).toFixed(2)}s ${line.slice(0, 1_000)}` };
          acc[kind].count++;
          return acc;
        }, {}),
    ),
  };
}

/** Per service and consumed topic: handler batches so far and their summed wall time (its /metrics). */
async function batchCounts(mesh: Mesh): Promise<Record<string, { count: number; sec: number }>> {
  const result: Record<string, { count: number; sec: number }> = {};
  for (const p of mesh.all()) {
    const text = await fetch(`${p.httpUrl}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    const topics = new Set(
      [...text.matchAll(/nowcast_batch_processing_seconds_count\{[^}]*topic="([^"]+)"/g)].map((m) => m[1]),
    );
    for (const topic of topics)
      result[`${p.name}:${topic.replace(/^bench-[0-9a-f]+\./, '')}`] = {
        count: sumSamples(text, 'nowcast_batch_processing_seconds_count', { topic }),
        sec: sumSamples(text, 'nowcast_batch_processing_seconds_sum', { topic }),
      };
  }
  return result;
}

/** High watermarks summed over partitions, per topic variable (records ever appended, markers included). */
async function topicRecords(admin: Admin, topics: Record<string, string>): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const [variable, topic] of Object.entries(topics)) {
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
    result[variable.replace(/^TOPIC_/, '').toLowerCase()] = offsets.reduce(
      (sum, p) => sum + Number(p.high),
      0,
    );
  }
  return result;
}

/** Samples where some group's lag rose past `peakSec` (the first of each run of such samples). */
function peaks(samples: Sample[], peakSec: number, sampleMs: number) {
  const found: { atMs: number; lag: Record<string, number>; before: string[] }[] = [];
  let inPeak = false;
  samples.forEach((s, i) => {
    const high = Object.values(s.lag).some((v) => v >= peakSec);
    if (high && !inPeak)
      found.push({
        atMs: s.atMs,
        lag: s.lag,
        before: samples
          .slice(Math.max(0, i - Math.ceil(3_000 / sampleMs)), i + 1)
          .map(
            (b) =>
              `${(b.atMs / 1000).toFixed(2)}s lag ${fmt(b.lag)} cpu ${fmt(b.cpu)} m ${b.machinePct}% feed ${b.feedMs ?? '-'}`,
          ),
      });
    inPeak = high;
  });
  return found;
}

/** A `--trace-gc` line's pause, ms ("... 12.3 / 0.0 ms: ..."), or null for other lines. */
function gcPauseMs(line: string): number | null {
  const m = /\b(Scavenge|Mark-Compact|Mark-sweep)\b.*?([\d.]+) \/ [\d.]+ ms/.exec(line);
  return m ? Number(m[2]) : null;
}

const fmt = (r: Record<string, number>): string =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(' ');
