import { randomUUID } from 'node:crypto';
import { loadConfig, pipelineTopicSpecs, topicsEnv } from '@app/config';
import { ensureTopics } from '@app/kafka';
import {
  DEFAULT_PORTS,
  ExitStatus,
  MESH_SERVICES,
  MeshRuntime,
  MeshService,
  ServiceProcess,
} from './service-process';
import { freePort } from './ports';

export interface MeshOptions {
  /** Repository root (where dist/ and apps/ are). */
  root: string;
  kafkaBrokers: readonly string[];
  redisUrl: string;
  qdrantUrl?: string;
  runtime?: MeshRuntime;
  /** `default` = each service's documented ports (3000-3003, 50051-50054); `free` = any free ones. */
  ports?: 'default' | 'free';
  /**
   * The environment the services start from: `npm run start:mesh` passes its own (so every
   * documented variable works); tests pass little or nothing, so the developer's shell can't leak in.
   */
  parentEnv?: NodeJS.ProcessEnv;
  /** Added to every service's environment (topics, key prefixes, log level...). */
  env?: Record<string, string>;
  /** Added to one service's environment, after `env`. */
  serviceEnv?: Partial<Record<MeshService, Record<string, string>>>;
  /** Which services to run (default: all four). */
  services?: readonly MeshService[];
  /** Create the pipeline topics named by the environment before starting (default true). */
  bootstrapTopics?: boolean;
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
  /**
   * Aborts waiting for readiness (`Mesh.start`, `addReplica`) with `signal.reason`; during
   * `Mesh.start` every replica started so far is stopped first (a test's afterAll after a
   * timed-out beforeAll, a Ctrl-C during boot).
   */
  signal?: AbortSignal;
}

/**
 * The four services as separate processes on one machine against a real Kafka and Redis:
 * what `npm run start:mesh`, the mesh integration test, the benchmark suite and the fault
 * injection suite all run. Replicas can be added and removed to force consumer-group rebalances.
 */
export class Mesh {
  private readonly replicas = new Map<MeshService, ServiceProcess[]>();
  /** Set when Mesh.start fails: a replica whose ports were still being picked must not start after. */
  private abandoned = false;
  /** Part of each replica's group instance id, so two meshes on one broker never fence each other. */
  private readonly meshId = randomUUID().slice(0, 8);

  private constructor(private readonly options: MeshOptions) {}

  /** Bootstraps the topics, starts every service and waits until all are ready. */
  static async start(options: MeshOptions): Promise<Mesh> {
    const mesh = new Mesh(options);
    const services = options.services ?? MESH_SERVICES;
    try {
      if (options.bootstrapTopics !== false) await mesh.bootstrapTopics();
      options.signal?.throwIfAborted();
      await Promise.all(services.map((service) => mesh.addReplica(service)));
    } catch (error) {
      mesh.abandoned = true;
      await mesh.stop();
      throw error;
    }
    return mesh;
  }

  /** The environment every service gets (without ports). */
  baseEnv(service: MeshService): Record<string, string> {
    const { parentEnv, kafkaBrokers, redisUrl, qdrantUrl, env, serviceEnv } = this.options;
    const inherited = definedOnly(parentEnv ?? {});
    return {
      NODE_ENV: 'development',
      ...inherited,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      REDIS_URL: redisUrl,
      ...(qdrantUrl ? { QDRANT_URL: qdrantUrl } : {}),
      ...env,
      ...serviceEnv?.[service],
    };
  }

  private async bootstrapTopics(): Promise<void> {
    const { topics } = loadConfig({ topics: topicsEnv() }, this.baseEnv('event-enricher'));
    await ensureTopics(
      { brokers: [...this.options.kafkaBrokers], clientId: 'nowcast-mesh' },
      pipelineTopicSpecs(topics),
    );
  }

  /** Starts one more replica of `service` (same group, its own ports) and waits until it is ready. */
  async addReplica(service: MeshService): Promise<ServiceProcess> {
    const list = this.replicas.get(service) ?? [];
    this.replicas.set(service, list);
    const instance = list.length;
    const fixed = this.options.ports !== 'free' && instance === 0;
    const replica = new ServiceProcess({
      root: this.options.root,
      service,
      instance,
      runtime: this.options.runtime ?? 'dist',
      httpPort: fixed ? DEFAULT_PORTS[service].http : await freePort(),
      grpcPort: fixed ? DEFAULT_PORTS[service].grpc : await freePort(),
      env: { ...this.baseEnv(service), KAFKA_GROUP_INSTANCE_ID: this.groupInstanceId(service, instance) },
      onLine: this.options.onLine,
    });
    if (this.abandoned) throw new Error(`the mesh failed to start before ${replica.name} started`);
    this.options.signal?.throwIfAborted();
    list.push(replica);
    replica.start();
    await replica.waitReady(this.options.readyTimeoutMs, this.options.signal);
    return replica;
  }

  /**
   * A replica is a static member of its consumer groups (KIP-345), under an id it keeps when it is
   * restarted (`process(...).start()` after a kill), as a pod keeps its name: a SIGKILLed and
   * restarted replica takes its partitions back at once, without waiting out its session.
   */
  private groupInstanceId(service: MeshService, instance: number): string {
    return `${service}-${instance}-${this.meshId}`;
  }

  /** Gracefully stops the newest replica of `service` and forgets it. */
  async removeReplica(service: MeshService): Promise<ExitStatus> {
    const list = this.replicas.get(service) ?? [];
    const replica = list.pop();
    if (!replica) throw new Error(`no replica of ${service} to remove`);
    return replica.stop();
  }

  /** The `instance`-th replica of `service` (0 = the first one). */
  process(service: MeshService, instance = 0): ServiceProcess {
    const replica = this.replicas.get(service)?.[instance];
    if (!replica) throw new Error(`${service}#${instance} is not part of this mesh`);
    return replica;
  }

  all(): ServiceProcess[] {
    return [...this.replicas.values()].flat();
  }

  /** The recommender's base URL (feeds, streams, docs). */
  get recommenderUrl(): string {
    return this.process('recommender-api').httpUrl;
  }

  /** The enricher's base URL (`POST /v1/events`). */
  get ingressUrl(): string {
    return this.process('event-enricher').httpUrl;
  }

  /** SIGTERM to every replica at once; resolves with each one's exit status. */
  async stop(graceMs?: number): Promise<Map<string, ExitStatus>> {
    const running = this.all();
    const statuses = await Promise.all(
      running.map((replica) => (replica.pid ? replica.stop(graceMs) : Promise.resolve(undefined))),
    );
    const result = new Map<string, ExitStatus>();
    running.forEach((replica, i) => {
      const status = statuses[i];
      if (status) result.set(replica.name, status);
    });
    return result;
  }
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}
