import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { freePort } from '@app/mesh';
import { Kafka, logLevel } from 'kafkajs';
import { listeningPid, processCpuMs } from './machine-cpu';
import { startLoad } from './suite/load-generator';
import { startMeshTarget } from './suite/mesh.target';
import { parseServiceEnv } from './suite/suite-options';
import { ROOT } from './suite/suite-target';
import { arg } from './cli-args';

/**
 * Broker request census: which client sends which Kafka requests, how many per event, and how long
 * the broker takes over each kind, while the mesh carries simulator load. The broker's CPU grows
 * with its requests, so this says where the pipeline's biggest single cost comes from.
 *   npm run bench -- broker-requests --rate 2000 --sec 15 --runtime dist --redis redis://127.0.0.1:6390 [--env K=V,...]
 * It starts a broker of its own (scripts/infra/kafka.sh --request-log: every completed request is
 * logged with its timings; that logging costs broker CPU, so read the counts and the times, not the
 * broker's CPU figure), runs the four services on it (isolated topics, groups and Redis prefix, as
 * in the suite), loads them at `--rate` events/s for `--warmup` + `--sec` seconds, and counts the
 * requests completed during the last `--sec`. Events = what reached the raw topic in that window.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

interface Tally {
  count: number;
  totalMs: number[];
  localMs: number[];
  remoteMs: number[];
}

const field = (line: string, name: string): number =>
  Number(new RegExp(`"${name}":([0-9.]+)`).exec(line)?.[1] ?? 0);

/** Completed requests logged between two byte offsets of the broker's log, by API and by client. */
async function censusOf(logFile: string, start: number, end: number) {
  const byApi = new Map<string, Tally>();
  const byClient = new Map<string, number>();
  const lines = createInterface({ input: createReadStream(logFile, { start, end: end - 1 }) });
  for await (const line of lines) {
    if (!line.includes('Completed request')) continue;
    const api = /"requestApiKeyName":"([A-Z_]+)"/.exec(line)?.[1];
    if (!api) continue;
    const client = /"clientId":"([^"]*)"/.exec(line)?.[1] ?? '';
    const tally = byApi.get(api) ?? { count: 0, totalMs: [], localMs: [], remoteMs: [] };
    tally.count++;
    tally.totalMs.push(field(line, 'totalTimeMs'));
    tally.localMs.push(field(line, 'localTimeMs'));
    tally.remoteMs.push(field(line, 'remoteTimeMs'));
    byApi.set(api, tally);
    const key = `${api} ${client}`;
    byClient.set(key, (byClient.get(key) ?? 0) + 1);
  }
  return { byApi, byClient };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
};

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const redisUrl = arg(args, 'redis', 'redis://127.0.0.1:6379');
  const rate = Number(arg(args, 'rate', '2000'));
  const sec = Number(arg(args, 'sec', '15'));
  const warmupSec = Number(arg(args, 'warmup', '10'));
  const runtime = arg(args, 'runtime', 'auto') as 'auto' | 'dist' | 'source';
  // --env A=1,B=2: settings for every service (A/B runs)
  const env = parseServiceEnv(arg(args, 'env', ''));
  const dir = mkdtempSync(join(tmpdir(), 'nowcast-broker-census-'));
  const port = await freePort();
  const script = join(ROOT, 'scripts/infra/kafka.sh');
  const kafkaSh = (...rest: string[]) => execFileSync('bash', [script, ...rest], { stdio: 'ignore' });
  kafkaSh(
    'start',
    '--dir',
    dir,
    '--port',
    String(port),
    '--controller-port',
    String(await freePort()),
    '--request-log',
  );
  const brokers = [`127.0.0.1:${port}`];
  const logFile = join(dir, 'kafka.log');
  const target = await startMeshTarget({ brokers, redisUrl, runtime, env }).catch((error: unknown) => {
    kafkaSh('stop', '--dir', dir);
    throw error;
  });
  const admin = new Kafka({ brokers, clientId: 'broker-census', logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const rawTopic = target.loadSink.kind === 'kafka' ? target.loadSink.topic : '';
    const rawEnd = async () =>
      (await admin.fetchTopicOffsets(rawTopic)).reduce((sum, p) => sum + Number(p.high), 0);
    const broker = [{ name: 'broker', pid: listeningPid(port) }];
    const load = startLoad({ sink: target.loadSink, rate, durationSec: 3_600, seed: 5, live: true });
    await load.started;
    await sleep(warmupSec * 1000);
    const [log0, events0, cpu0] = [statSync(logFile).size, await rawEnd(), processCpuMs(broker).broker ?? 0];
    await sleep(sec * 1000);
    const [log1, events1, cpu1] = [statSync(logFile).size, await rawEnd(), processCpuMs(broker).broker ?? 0];
    load.stop();
    await load.done.catch(() => undefined);
    const events = events1 - events0;
    const { byApi, byClient } = await censusOf(logFile, log0, log1);
    const requests = [...byApi.values()].reduce((sum, t) => sum + t.count, 0);
    const perKEvents = (count: number) => round((count * 1000) / Math.max(1, events));
    return {
      rateAsked: rate,
      env,
      eventsPerSec: round(events / sec, 0),
      requestsPerSec: round(requests / sec, 0),
      requestsPer1000Events: perKEvents(requests),
      brokerCpuUsPerEventWithRequestLog: round(((cpu1 - cpu0) * 1000) / Math.max(1, events)),
      byApi: Object.fromEntries(
        [...byApi]
          .sort((a, b) => b[1].count - a[1].count)
          .map(([api, t]) => [
            api,
            `${perKEvents(t.count)} per 1k events; ms p50 total ${median(t.totalMs)} local ${median(t.localMs)} remote ${median(t.remoteMs)}`,
          ]),
      ),
      byClient: Object.fromEntries(
        [...byClient]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 25)
          .map(([key, count]) => [key, `${round(count / sec)}/s, ${perKEvents(count)} per 1k events`]),
      ),
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
    await target.stop().catch(() => undefined);
    kafkaSh('stop', '--dir', dir);
    rmSync(dir, { recursive: true, force: true });
  }
}
