import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { EnvSource, describeEnv, loadConfig } from '@app/config';
import { DEPLOYED_SERVICES, DeployedService } from '../scripts/service-env-schemas';
import { K8sObject, renderKustomization } from './deploy/kustomize-lite';

const K8S = join(__dirname, '..', 'k8s');

/** The Secrets the manifests read, created outside git (the dev overlay generates dev values). */
const EXTERNAL_SECRETS = [
  'nowcast-redis',
  'nowcast-kafka',
  'nowcast-qdrant',
  'nowcast-api-keys',
  'nowcast-embeddings',
];

/** Stand-ins for values that live in Secrets, so the rest of the environment can be validated. */
const SECRET_STAND_INS: Record<string, string> = {
  REDIS_URL: 'redis://:secret@redis:6379',
  KAFKA_SASL_USERNAME: 'nowcast',
  KAFKA_SASL_PASSWORD: 'secret',
  QDRANT_API_KEY: 'secret',
  API_KEYS: 'ingest:k1;read:k2',
  EMBEDDING_OPENAI_API_KEY: 'secret',
};

const MODELS: Record<string, new (data: K8sObject) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}
interface GrpcProbe {
  grpc?: { port: number; service?: string };
  httpGet?: unknown;
}
interface Container {
  name: string;
  image: string;
  ports: { name: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: EnvEntry[];
  startupProbe?: GrpcProbe;
  livenessProbe?: GrpcProbe;
  readinessProbe?: GrpcProbe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface DeploymentSpec {
  replicas: number;
  strategy?: { type: string };
  template: {
    metadata: { labels: Record<string, string> };
    spec: {
      securityContext?: { runAsNonRoot?: boolean };
      containers: Container[];
      volumes?: { name: string; emptyDir?: object }[];
    };
  };
}

const RENDERINGS: [string, string][] = [
  ...DEPLOYED_SERVICES.map((s): [string, string] => [`base/${s.name}`, join(K8S, 'base', s.name)]),
  ['overlays/dev', join(K8S, 'overlays', 'dev')],
  ['overlays/prod', join(K8S, 'overlays', 'prod')],
];

function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** What the container's environment holds: ConfigMap data via envFrom, then literal/secret env. */
function environmentOf(objects: K8sObject[], container: Container) {
  const fromConfigMaps: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    expect(source.secretRef).toBeUndefined(); // secrets are listed key by key, so they can be checked
    const configMap = find(objects, 'ConfigMap', source.configMapRef?.name ?? '');
    expect(configMap).toBeDefined();
    Object.assign(fromConfigMaps, configMap?.data);
  }
  const literals = Object.fromEntries(
    (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]),
  );
  const secretRefs = (container.env ?? []).filter((e) => e.valueFrom?.secretKeyRef);
  const fieldRefs = Object.fromEntries(
    (container.env ?? []).flatMap((e) =>
      e.valueFrom?.fieldRef ? [[e.name, e.valueFrom.fieldRef.fieldPath]] : [],
    ),
  );
  return { fromConfigMaps, literals, secretRefs, fieldRefs };
}

describe.each(RENDERINGS)('k8s/%s', (_label, dir) => {
  const objects = renderKustomization(dir);
  const services = DEPLOYED_SERVICES.filter((s) => find(objects, 'Deployment', s.name));

  it('renders objects that are valid against the Kubernetes schemas', () => {
    expect(services.length).toBeGreaterThan(0);
    for (const object of objects) {
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      expect(Model).toBeDefined();
      expect(() => new Model(object).validate()).not.toThrow();
    }
  });

  describe.each(services.map((s): [string, DeployedService] => [s.name, s]))('%s', (name, service) => {
    const deployment = find(objects, 'Deployment', name) as K8sObject;
    const spec = deployment.spec as DeploymentSpec;
    const container = spec.template.spec.containers.find((c) => c.name === name) as Container;
    const rows = describeEnv(service.schema);
    const { fromConfigMaps, literals, secretRefs, fieldRefs } = environmentOf(objects, container);
    const env: Record<string, string> = {
      ...fromConfigMaps,
      ...literals,
      // what the downward API gives: a pod name of this Deployment stands in for metadata.name
      ...Object.fromEntries(Object.keys(fieldRefs).map((variable) => [variable, `${name}-7d9f5-x2k4q`])),
      ...Object.fromEntries(secretRefs.map((e) => [e.name, SECRET_STAND_INS[e.name]])),
    };
    const config = loadConfig(service.schema, env as EnvSource) as {
      common: { port: number; grpcPort: number };
      kafka: { groupInstanceId?: string };
      topics: { partitions: Record<string, number> };
    };

    it('supplies only known variables, every required one, secrets only from Secrets', () => {
      const known = new Set(rows.map((r) => r.name));
      expect(Object.keys(env).filter((v) => !known.has(v))).toEqual([]);
      expect(rows.filter((r) => r.required && !(r.name in env)).map((r) => r.name)).toEqual([]);
      // the loopback defaults are wrong inside a pod
      expect(Object.keys(env)).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'REDIS_URL']));
      for (const row of rows.filter((r) => r.secret)) {
        expect([row.name, row.name in fromConfigMaps || row.name in literals]).toEqual([row.name, false]);
        expect(secretRefs.map((e) => e.name)).toContain(row.name);
      }
      for (const ref of secretRefs) expect(EXTERNAL_SECRETS).toContain(ref.valueFrom?.secretKeyRef?.name);
    });

    it('probes grpc.health.v1 on GRPC_PORT: liveness for the process, its name for readiness', () => {
      expect(container.livenessProbe?.grpc).toEqual({ port: config.common.grpcPort, service: 'liveness' });
      expect(container.startupProbe?.grpc).toEqual({ port: config.common.grpcPort, service: 'liveness' });
      expect(container.readinessProbe?.grpc).toEqual({ port: config.common.grpcPort, service: name });
      const ports = Object.fromEntries(container.ports.map((p) => [p.name, p.containerPort]));
      expect(ports).toEqual({ http: config.common.port, grpc: config.common.grpcPort });
      const svc = find(objects, 'Service', name) as {
        spec?: { ports: { port: number; targetPort: string }[] };
      };
      expect(svc.spec?.ports.map((p) => [p.port, ports[p.targetPort]])).toEqual([
        [config.common.port, config.common.port],
        [config.common.grpcPort, config.common.grpcPort],
      ]);
    });

    it('runs non-root on a read-only root filesystem with an emptyDir /tmp, within resource limits', () => {
      expect(spec.template.spec.securityContext?.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(spec.template.spec.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      for (const kind of ['requests', 'limits'] as const) {
        expect(Object.keys(container.resources?.[kind] ?? {}).sort()).toEqual(['cpu', 'memory']);
      }
      expect(container.image).toMatch(new RegExp(`^nowcast/${name}:`));
    });

    it('makes each group consumer a static member under its pod name (KIP-345), the others none', () => {
      const expected = service.groupConsumes ? { KAFKA_GROUP_INSTANCE_ID: 'metadata.name' } : {};
      expect(fieldRefs).toEqual(expected);
      expect(typeof config.kafka.groupInstanceId).toBe(service.groupConsumes ? 'string' : 'undefined');
    });

    it('never runs more group consumers than the partitions they share', () => {
      if (!service.groupConsumes) return;
      const partitions = config.topics.partitions[service.groupConsumes];
      expect(spec.replicas).toBeLessThanOrEqual(partitions);
      const hpa = objects.find(
        (o) =>
          o.kind === 'HorizontalPodAutoscaler' &&
          (o.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === name,
      );
      const maxReplicas = hpa ? (hpa.spec as { maxReplicas: number }).maxReplicas : spec.replicas;
      expect(maxReplicas).toBeLessThanOrEqual(partitions);
    });
  });

  const aggregator = find(objects, 'Deployment', 'metrics-aggregator');
  if (aggregator) {
    it('replaces metrics-aggregator with Recreate (its Redis layout may change one way)', () => {
      expect((aggregator.spec as DeploymentSpec).strategy?.type).toBe('Recreate');
    });
  }

  const writer = find(objects, 'Deployment', 'embedding-writer');
  if (writer) {
    it('keeps embedding-writer a single instance, replaced with Recreate', () => {
      const spec = writer.spec as DeploymentSpec;
      expect({ replicas: spec.replicas, strategy: spec.strategy?.type }).toEqual({
        replicas: 1,
        strategy: 'Recreate',
      });
      const scaled = objects.filter(
        (o) => o.kind === 'HorizontalPodAutoscaler' && JSON.stringify(o).includes('"embedding-writer"'),
      );
      expect(scaled).toEqual([]);
    });
  }

  const api = find(objects, 'Deployment', 'recommender-api');
  if (api) {
    it('autoscales recommender-api and keeps it available through voluntary disruptions', () => {
      const hpa = find(objects, 'HorizontalPodAutoscaler', 'recommender-api')?.spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
      };
      expect(hpa.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'recommender-api' });
      expect(hpa.maxReplicas).toBeGreaterThanOrEqual(hpa.minReplicas);
      const pdb = find(objects, 'PodDisruptionBudget', 'recommender-api')?.spec as {
        maxUnavailable: number;
        selector: { matchLabels: Record<string, string> };
      };
      expect((api.spec as DeploymentSpec).template.metadata.labels).toMatchObject(pdb.selector.matchLabels);
      expect(pdb.maxUnavailable).toBe(1);
    });
  }
});

describe('overlays', () => {
  it('dev generates every Secret key a pod needs (non-optional references)', () => {
    const objects = renderKustomization(join(K8S, 'overlays', 'dev'));
    const needed = objects
      .filter((o) => o.kind === 'Deployment')
      .flatMap((o) => (o.spec as DeploymentSpec).template.spec.containers)
      .flatMap((c) => c.env ?? [])
      .map((e) => e.valueFrom?.secretKeyRef)
      .filter((ref) => ref && !ref.optional);
    expect(needed.length).toBeGreaterThan(0);
    for (const ref of needed) {
      const secret = find(objects, 'Secret', ref?.name ?? '') as
        { data?: Record<string, string> } | undefined;
      expect([ref?.name, ref?.key, Object.keys(secret?.data ?? {})]).toEqual([
        ref?.name,
        ref?.key,
        expect.arrayContaining([ref?.key]),
      ]);
    }
  });

  it('prod keeps credentials out of git, talks TLS + SASL to Kafka and runs recommender-api on at least 2 pods', () => {
    const objects = renderKustomization(join(K8S, 'overlays', 'prod'));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const configMap of objects.filter((o) => o.kind === 'ConfigMap')) {
      expect(configMap.data).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512' });
    }
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'recommender-api')?.spec as { minReplicas: number };
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
  });
});
