import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { EnvSource, describeEnv, loadConfig, pipelineTopicSpecs, topicsEnv } from '@app/config';
import { DEPLOYED_SERVICES } from '../scripts/service-env-schemas';

interface ComposeService {
  image?: string;
  build?: { context: string; target?: string; args?: Record<string, string> };
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  expose?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  command?: string[];
  read_only?: boolean;
  tmpfs?: string[];
}

const text = readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8');
const document = parseDocument(text);
const compose = document.toJS() as { services: Record<string, ComposeService> };

/** Compose's `${VAR:-default}` / `${VAR}` with nothing set in the shell: what `up` would use. */
function interpolate(value: string): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g,
    (_match, _name, fallback?: string) => fallback ?? '',
  );
}

function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value))]),
  );
}

function containerPort(mapping: string): number {
  return Number(mapping.split(':').at(-1));
}

describe('docker-compose.yml', () => {
  it('is valid YAML with the infrastructure and every service', () => {
    expect(document.errors).toEqual([]);
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['kafka', 'kafka-topics', 'redis', 'qdrant', 'simulator']),
    );
    for (const { name } of DEPLOYED_SERVICES) {
      expect(compose.services[name]?.build?.args).toEqual({ APP: name });
    }
  });

  it('runs Apache Kafka in KRaft mode from the official image', () => {
    const kafka = compose.services.kafka;
    expect(kafka.image).toBe('apache/kafka:4.1.1');
    expect(String(kafka.environment?.KAFKA_PROCESS_ROLES)).toBe('broker,controller');
    expect(String(kafka.environment?.KAFKA_ADVERTISED_LISTENERS)).toContain('//kafka:9092');
    expect(kafka.healthcheck).toBeDefined();
  });

  it('keeps the simulator behind a profile', () => {
    expect(compose.services.simulator.profiles).toEqual(['simulator']);
    const others = Object.entries(compose.services).filter(([name]) => name !== 'simulator');
    for (const [, service] of others) expect(service.profiles).toBeUndefined();
  });

  it('bootstraps every topic the services expect, with their partitions and policies', () => {
    const script = compose.services['kafka-topics'].command?.join('\n') ?? '';
    const created = [...script.matchAll(/^\s*create (\S+) (\d+)((?: --config \S+)*)\s*$/gm)].map((m) => ({
      name: m[1],
      partitions: Number(m[2]),
      configs: Object.fromEntries(
        [...m[3].matchAll(/--config ([^=\s]+)=(\S+)/g)].map((c) => [c[1], c[2]] as [string, string]),
      ),
    }));
    for (const { name, schema } of DEPLOYED_SERVICES) {
      const config = loadConfig(schema, environmentOf(compose.services[name])) as {
        topics?: Parameters<typeof pipelineTopicSpecs>[0];
      };
      const topics = config.topics ?? loadConfig({ topics: topicsEnv() }, {}).topics;
      const expected = pipelineTopicSpecs(topics).map((spec) => ({
        name: spec.name,
        partitions: spec.partitions,
        configs: { ...(spec.compacted ? { 'cleanup.policy': 'compact' } : {}), ...spec.configs },
      }));
      expect(created).toEqual(expected);
    }
  });

  describe.each(DEPLOYED_SERVICES.map((s) => [s.name, s] as const))('%s', (name, { schema }) => {
    const service = compose.services[name];
    const env = environmentOf(service);
    const rows = describeEnv(schema);

    it('sets only variables of its config schema, every required one, all valid', () => {
      const known = new Set(rows.map((row) => row.name));
      expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
      const missing = rows.filter((row) => row.required && !(row.name in env)).map((row) => row.name);
      expect(missing).toEqual([]);
      expect(() => loadConfig(schema, env as EnvSource)).not.toThrow();
    });

    it('points at the compose services, never at the loopback defaults', () => {
      expect(env.KAFKA_BROKERS.split(',').map((b) => b.split(':')[0])).toEqual(['kafka']);
      expect(new URL(env.REDIS_URL).hostname).toBe('redis');
      expect(env.QDRANT_URL === undefined ? 'qdrant' : new URL(env.QDRANT_URL).hostname).toBe('qdrant');
    });

    it('publishes PORT, exposes GRPC_PORT and health-checks /health/ready on PORT', () => {
      const { common } = loadConfig(schema, env as EnvSource) as {
        common: { port: number; grpcPort: number };
      };
      const defaults = new Map(rows.map((row) => [row.name, row.default]));
      expect(String(common.port)).toBe(defaults.get('PORT'));
      expect(String(common.grpcPort)).toBe(defaults.get('GRPC_PORT'));
      expect((service.ports ?? []).map(containerPort)).toEqual([common.port]);
      expect((service.expose ?? []).map(Number)).toEqual([common.grpcPort]);
      const probe = (service.healthcheck?.test ?? []).join(' ');
      expect(probe).toContain(`http://127.0.0.1:${common.port}/health/ready`);
      expect(service.healthcheck?.test[0]).toBe('CMD');
    });

    it('waits for healthy dependencies and the finished topic bootstrap', () => {
      const expected: Record<string, { condition: string }> = {
        kafka: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        'kafka-topics': { condition: 'service_completed_successfully' },
        ...(env.QDRANT_URL ? { qdrant: { condition: 'service_healthy' } } : {}),
      };
      expect(service.depends_on).toEqual(expected);
      const unchecked = Object.entries(expected)
        .filter(
          ([dependency, { condition }]) =>
            condition === 'service_healthy' && !compose.services[dependency].healthcheck,
        )
        .map(([dependency]) => dependency);
      expect(unchecked).toEqual([]);
    });

    it('runs with a read-only root and a writable /tmp, like the pods', () => {
      expect(service.read_only).toBe(true);
      expect(service.tmpfs).toEqual(['/tmp']);
    });
  });
});
