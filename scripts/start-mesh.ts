/**
 * `npm run start:mesh [-- --simulate [events/s]]`: the four services as separate processes on
 * their default ports against KAFKA_BROKERS / REDIS_URL (QDRANT_URL optional), the way they run
 * in a cluster. Flags: START_MESH_HELP (start-mesh.args.ts); see also the README.
 */
import { loadConfig, parseApiKeys, topicsEnv } from '@app/config';
import {
  DEFAULT_PORTS,
  ExitStatus,
  MESH_SERVICES,
  Mesh,
  MeshStatus,
  MeshStatusProbe,
  checkInfra,
  portInUse,
} from '@app/mesh';
import { LoggerService } from '@nestjs/common';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { StatusLine } from '../apps/nowcast/src/status-line';
import { buildStale } from './build-freshness';
import { START_MESH_HELP, StartMeshArgs, parseStartMeshArgs } from './start-mesh.args';
import { MeshSimulation, startMeshSimulation } from './start-mesh.simulation';

const root = join(__dirname, '..');

/** Prints a line above the status line (which the next tick redraws on a terminal). */
function print(line: string): void {
  process.stdout.write(process.stdout.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
}

/** kafkajs' warnings of the status reader, printed like the services' lines. */
const statusLogger: LoggerService = {
  log: () => undefined,
  warn: (message: unknown) => print(`[start:mesh] ${String(message)}`),
  error: (message: unknown) => print(`[start:mesh] ${String(message)}`),
};

async function preflight(args: StartMeshArgs, kafkaBrokers: string[], redisUrl: string): Promise<void> {
  if (args.runtime === 'dist' && args.build) {
    const built = buildStale(root, MESH_SERVICES, print);
    if (built.length > 0) print(`built ${built.join(', ')}`);
  }
  if (args.infra) execFileSync('bash', [join(root, 'scripts/infra/up.sh')], { cwd: root, stdio: 'inherit' });
  const { problems } = await checkInfra({ kafkaBrokers, redisUrl });
  if (problems.length > 0) {
    throw new Error(
      `${problems.join('\n')}\n\nStart the development Kafka and Redis with \`npm run infra:up\` ` +
        '(or run `npm run start:mesh -- --infra`), or point KAFKA_BROKERS / REDIS_URL at yours.',
    );
  }
  if (!args.freePorts) {
    const ports = MESH_SERVICES.flatMap((s) => [DEFAULT_PORTS[s].http, DEFAULT_PORTS[s].grpc]);
    const taken = [];
    for (const port of ports) if (await portInUse(port)) taken.push(port);
    if (taken.length > 0) {
      throw new Error(
        `port(s) ${taken.join(', ')} already in use (another npm start or start:mesh?): stop it, ` +
          'or pass --free-ports',
      );
    }
  }
}

function banner(mesh: Mesh, args: StartMeshArgs, user: string, apiOpen: boolean): string {
  const api = mesh.recommenderUrl;
  const key = apiOpen ? '' : " -H 'x-api-key: <read key>'";
  const lines = [
    '',
    'Nowcast mesh: four services, four processes, on Kafka and Redis (state survives restarts).',
    ...mesh.all().map((p) => `  ${p.name.padEnd(18)} pid ${String(p.pid).padEnd(8)} ${p.httpUrl}`),
    `API: ${apiOpen ? 'open (development, no API_KEYS)' : 'API keys required (API_KEYS)'}.`,
    '',
    `  API docs        ${api}/docs`,
    `  a user's feed   curl${key} '${api}/v1/users/${user}/feed?limit=10'`,
    `  trending        curl${key} '${api}/v1/streams/trending?limit=10'`,
    `  send an event   curl -X POST ${mesh.ingressUrl}/v1/events -H 'content-type: application/json' -d @event.json`,
    `  health, metrics ${api}/health/ready  ${api}/metrics  (every service has both)`,
  ];
  if (args.simulateRate === undefined)
    lines.push('', 'No simulator: add --simulate [events/s] for a live marketplace and a status line.');
  return [...lines, '', ''].join('\n');
}

/** One run of the mesh: boot, optional simulation and status line, and the one way to stop. */
class MeshRun {
  private readonly boot = new AbortController();
  private booting: Promise<Mesh> | null = null;
  private mesh: Mesh | null = null;
  private probe: MeshStatusProbe | null = null;
  private simulation: MeshSimulation | null = null;
  private statusTimer: NodeJS.Timeout | undefined;
  private ready = false;
  stopping: Promise<never> | null = null;
  private readonly env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', ...process.env };

  constructor(
    private readonly args: StartMeshArgs,
    private readonly kafkaBrokers: string[],
    private readonly redisUrl: string,
  ) {}

  /** Stops the simulator, the status reader and every service (SIGTERM), then exits. */
  stop(reason: string, exitCode: number): Promise<never> {
    this.stopping ??= (async () => {
      clearInterval(this.statusTimer);
      this.boot.abort(new Error(`interrupted by ${reason}`));
      print(`\n${reason}: stopping...`);
      await this.simulation?.stop().catch((error: unknown) => print(`simulator: ${String(error)}`));
      await this.probe?.stop().catch(() => undefined);
      // a stop during boot: Mesh.start stops what it started (gracefully) before it rejects
      await this.booting?.catch(() => undefined);
      const statuses = this.mesh ? await this.mesh.stop() : new Map<string, ExitStatus>();
      let clean = true;
      for (const [name, s] of statuses) {
        clean &&= s.code === 0;
        print(
          `  ${name}: ${s.code === null ? `killed by ${s.signal}` : `exit ${s.code}`} in ${s.elapsedMs} ms`,
        );
      }
      process.exit(clean ? exitCode : Math.max(exitCode, 1));
    })();
    return this.stopping;
  }

  async start(): Promise<void> {
    const startedAt = Date.now();
    print(
      `starting ${MESH_SERVICES.join(', ')} (${this.args.runtime}) on ${this.kafkaBrokers.join(',')} / ${this.redisUrl}...`,
    );
    this.booting = Mesh.start({
      root,
      kafkaBrokers: this.kafkaBrokers,
      redisUrl: this.redisUrl,
      qdrantUrl: this.env.QDRANT_URL,
      runtime: this.args.runtime,
      ports: this.args.freePorts ? 'free' : 'default',
      parentEnv: this.env,
      // boot chatter (readiness failing until caught up) is kept for the error if boot fails
      onLine: (line) => this.ready && print(line),
      signal: this.boot.signal,
    });
    const mesh = (this.mesh = await this.booting);
    this.ready = true;
    print(`mesh ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    for (const replica of mesh.all()) {
      void replica.waitExit().then((status) => {
        if (this.stopping) return;
        print(`${replica.name} died (${status.code === null ? status.signal : `exit ${status.code}`}):`);
        const last = replica.output().split('\n').slice(-20).join('\n');
        if (last.trim() !== '') print(last);
        void this.stop(`${replica.name} died`, 1);
      });
    }
    const apiKeys = this.env.API_KEYS ? parseApiKeys(this.env.API_KEYS) : null;
    const keyOf = (scope: 'ingest' | 'read'): string | undefined =>
      apiKeys?.ok ? [...(apiKeys.keys.get(scope) ?? [])][0] : undefined;
    const { topics } = loadConfig({ topics: topicsEnv() }, this.env);
    const rate = this.args.simulateRate;
    if (rate !== undefined) {
      this.simulation = startMeshSimulation({
        ratePerSec: rate,
        seed: this.args.seed,
        sink: this.args.sink,
        kafkaBrokers: this.kafkaBrokers,
        rawTopic: topics.names.raw,
        ingressUrl: mesh.ingressUrl,
        recommenderUrl: mesh.recommenderUrl,
        feedRequestsPerSec: this.args.feedRequestsPerSec,
        ingestKey: keyOf('ingest'),
        readKey: keyOf('read'),
        onError: (error) =>
          print(`simulator stopped: ${error instanceof Error ? error.message : String(error)}`),
      });
      // give the simulator a moment to put viewers somewhere, so the sample user has a taste
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    }
    print(banner(mesh, this.args, this.simulation?.sampleUser() ?? 'user-42', apiKeys === null));
    if (this.simulation) await this.startStatus(mesh, topics.names.metricsStreams);
  }

  private async startStatus(mesh: Mesh, metricsTopic: string): Promise<void> {
    const probe = (this.probe = new MeshStatusProbe(mesh, {
      kafka: { brokers: this.kafkaBrokers, clientId: 'nowcast-start-mesh', logger: statusLogger },
      metricsTopic,
    }));
    await probe.start();
    let latest: MeshStatus = { events: 0, feedRequests: 0, liveStreams: 0, latency: null };
    const status = new StatusLine(() => latest);
    const refresh = async (): Promise<void> => {
      latest = await probe.read();
      if (!this.stopping) status.tick();
    };
    this.statusTimer = setInterval(() => void refresh(), process.stdout.isTTY ? 1_000 : 10_000);
  }
}

async function main(): Promise<void> {
  const args = parseStartMeshArgs(process.argv.slice(2));
  if (args.help) {
    console.log(START_MESH_HELP);
    return;
  }
  const kafkaBrokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  await preflight(args, kafkaBrokers, redisUrl);
  const run = new MeshRun(args, kafkaBrokers, redisUrl);
  // Ctrl-C also reaches the services (same process group): they begin their shutdown and the
  // SIGTERM that follows is absorbed; a second Ctrl-C gives up waiting
  process.on('SIGINT', () => (run.stopping ? process.exit(130) : void run.stop('SIGINT', 0)));
  process.on('SIGTERM', () => void run.stop('SIGTERM', 0));
  try {
    await run.start();
  } catch (error) {
    // a boot interrupted by a signal rejects too: the stop in progress decides the exit code
    if (run.stopping) return;
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
