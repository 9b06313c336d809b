import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The four services of the mesh, in pipeline order. */
export const MESH_SERVICES = [
  'event-enricher',
  'metrics-aggregator',
  'embedding-writer',
  'recommender-api',
] as const;
export type MeshService = (typeof MESH_SERVICES)[number];

/** The ports a service listens on when the environment does not say otherwise (its config defaults). */
export const DEFAULT_PORTS: Record<MeshService, { http: number; grpc: number }> = {
  'event-enricher': { http: 3001, grpc: 50052 },
  'metrics-aggregator': { http: 3002, grpc: 50053 },
  'embedding-writer': { http: 3003, grpc: 50054 },
  'recommender-api': { http: 3000, grpc: 50051 },
};

/**
 * How a service is run: `dist` = the webpack bundle `npm run build` writes (fast boot, what the
 * image runs); `source` = its main.ts through @swc-node/register (no build needed).
 */
/**
 * V8 flags every service runs with (the image's CMD has the same): a 64 MiB young-generation
 * semi-space keeps a batch's short-lived objects out of the old generation; measured on the
 * enricher bench: 24k -> 36k events/s (bench/enricher.bench.ts; commit 3c2393d). The minimum
 * keeps it that size: V8 shrinks the young generation when allocation slows, and at 1,000 events/s
 * the enricher then promoted ~37 MB a second of in-flight batches and ran a mark-compact every
 * 1-3 s (none with the minimum; 25 -> 18 % of a core; docs/benchmarks-history.md, session 22).
 * It costs ~128 MiB of committed young generation per process.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=64', '--min-semi-space-size=64'];

/**
 * A variable of the child's environment (not read from this process'): extra V8/Node flags for
 * the service, whitespace-separated, e.g. `--trace-gc` for a stall hunt. Node refuses most V8 flags
 * in NODE_OPTIONS, so they go on the command line.
 */
export const EXTRA_NODE_FLAGS_ENV = 'NOWCAST_NODE_FLAGS';

/** The command-line flags a service runs with: SERVICE_NODE_FLAGS plus those its environment adds. */
export function serviceNodeFlags(env: Record<string, string>): string[] {
  const extra = (env[EXTRA_NODE_FLAGS_ENV] ?? '').split(/\s+/).filter(Boolean);
  return [...SERVICE_NODE_FLAGS, ...extra];
}

export type MeshRuntime = 'dist' | 'source';

export interface ServiceProcessOptions {
  root: string;
  service: MeshService;
  /** Distinguishes replicas of one service in logs (0 for the first). */
  instance: number;
  runtime: MeshRuntime;
  httpPort: number;
  grpcPort: number;
  /** The whole environment of the child (PATH etc. included by the caller). */
  env: Record<string, string>;
  /** Called with every output line, already prefixed with the service name; default: kept only. */
  onLine?: (line: string) => void;
  /** Lines of output kept for error messages. */
  keepLines?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the signal (or the call) to the exit, ms. */
  elapsedMs: number;
}

/**
 * Children still running when this process exits are SIGKILLed (a synchronous 'exit' hook): a
 * crashed script or a test runner that exits early must not leave services behind on the ports.
 */
const runningChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const running of runningChildren) running.kill('SIGKILL');
    });
  }
  runningChildren.add(child);
  child.once('exit', () => runningChildren.delete(child));
}

/** One service (one replica) as a child process: start, wait until ready, stop or kill, restart. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<ExitStatus> | undefined;
  private signalledAt = 0;
  private readonly lines: string[] = [];

  constructor(readonly options: ServiceProcessOptions) {}

  get name(): string {
    const { service, instance } = this.options;
    return instance === 0 ? service : `${service}#${instance}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.options.httpPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process printed (for error messages). */
  output(): string {
    return this.lines.join('\n');
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const { root, service, runtime, env, httpPort, grpcPort } = this.options;
    const entry =
      runtime === 'dist'
        ? [join(root, `dist/apps/${service}/main.js`)]
        : ['-r', '@swc-node/register', join(root, `apps/${service}/src/main.ts`)];
    if (runtime === 'dist' && !existsSync(entry[0]))
      throw new Error(`${entry[0]} is missing: run npm run build`);
    const child = spawn(process.execPath, [...serviceNodeFlags(env), ...entry], {
      cwd: root,
      env: { ...env, PORT: String(httpPort), GRPC_PORT: String(grpcPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    track(child);
    this.signalledAt = 0;
    const startedAt = Date.now();
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      elapsedMs: Date.now() - (this.signalledAt || startedAt),
    }));
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const text = partial + chunk.toString();
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) this.keep(line);
      });
    }
  }

  private keep(line: string): void {
    const prefixed = `[${this.name}] ${line}`;
    this.lines.push(prefixed);
    if (this.lines.length > (this.options.keepLines ?? 200)) this.lines.shift();
    this.options.onLine?.(prefixed);
  }

  /**
   * Polls `GET /health/ready` until it answers 200; throws with the process output on timeout or
   * exit, or with `signal.reason` when `signal` aborts.
   */
  async waitReady(timeoutMs = 60_000, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      signal?.throwIfAborted();
      if (!this.running) throw new Error(`${this.name} exited before it was ready\n${this.output()}`);
      try {
        const response = await fetch(`${this.httpUrl}/health/ready`, { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms\n${this.output()}`);
  }

  /** Resolves when the current run of the process exits (however it ends). */
  waitExit(): Promise<ExitStatus> {
    if (!this.exited) throw new Error(`${this.name} was never started`);
    return this.exited;
  }

  /**
   * SIGTERM (the graceful path), then SIGKILL if it has not exited after `graceMs`.
   * Resolves with how it exited and how long it took from the signal.
   */
  async stop(graceMs = 15_000): Promise<ExitStatus> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) throw new Error(`${this.name} was never started`);
    if (!this.running) return exited;
    this.signalledAt = Date.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: a crash, nothing flushed or committed. */
  async kill(): Promise<ExitStatus> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) throw new Error(`${this.name} was never started`);
    if (!this.running) return exited;
    this.signalledAt = Date.now();
    child.kill('SIGKILL');
    return exited;
  }
}
