import { Admin, ConfigResourceTypes, ConfigSource, DescribeConfigResponse, ITopicConfig } from 'kafkajs';
import { createKafka, KafkaConnectionOptions } from './kafka-connection.options';

export interface TopicSpec {
  name: string;
  partitions: number;
  /** cleanup.policy=compact (change feeds and state topics keyed by entity). */
  compacted?: boolean;
  /** Extra topic configs, e.g. { 'retention.ms': '604800000' }. */
  configs?: Record<string, string>;
}

export interface EnsureTopicsOptions {
  /** Default: min(3, brokers in the cluster). kafkajs' CreateTopics (v3) cannot ask for the broker default. */
  replicationFactor?: number;
  /** How long to wait for creation and partition leaders, ms. Default 30000. */
  timeoutMs?: number;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
  /** Existing topics whose partition count differs from the spec: reported, never changed (it would remap keys). */
  mismatched: { name: string; expectedPartitions: number; actualPartitions: number }[];
  /** Existing topics whose configs differed from the spec's: brought to it (see ensureTopics). */
  reconfigured: { name: string; changes: Record<string, ConfigChange> }[];
  /** Existing topics whose configs could not be read or set (left as they are). */
  configErrors: { name: string; message: string }[];
}

export interface ConfigChange {
  /** The topic's value before (null: none shown, e.g. a sensitive one). */
  from: string | null;
  to: string;
}

/**
 * Idempotent topic bootstrap: creates the missing topics (waiting for their leaders), also when
 * another process creates them concurrently, and brings an existing topic's configs to the spec's
 * (a release that adds a retention reaches the topics an earlier one created). Only the configs
 * the spec names are changed; the topic's other overrides, an operator's included, are kept.
 * Partition counts are never changed; configs that cannot be set are reported (`configErrors`).
 */
export async function ensureTopics(
  target: KafkaConnectionOptions | Admin,
  specs: TopicSpec[],
  options: EnsureTopicsOptions = {},
): Promise<EnsureTopicsResult> {
  const ownAdmin = !isAdmin(target);
  const admin = isAdmin(target) ? target : createKafka(target, 'admin').admin();
  if (ownAdmin) await admin.connect();
  try {
    const before = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !before.has(spec.name));
    let created: string[] = [];
    if (missing.length > 0) {
      const replicationFactor =
        options.replicationFactor ?? Math.min(3, (await admin.describeCluster()).brokers.length);
      const createdAll = await admin.createTopics({
        topics: missing.map((spec) => toTopicConfig(spec, replicationFactor)),
        waitForLeaders: true,
        timeout: options.timeoutMs ?? 30_000,
      });
      // false = some already existed (created concurrently): we cannot tell which, so claim none.
      created = createdAll ? missing.map((spec) => spec.name) : [];
    }
    const metadata = await admin.fetchTopicMetadata({ topics: specs.map((spec) => spec.name) });
    const mismatched = specs.flatMap((spec) => {
      const actual = metadata.topics.find((topic) => topic.name === spec.name)?.partitions.length ?? 0;
      return actual === spec.partitions
        ? []
        : [{ name: spec.name, expectedPartitions: spec.partitions, actualPartitions: actual }];
    });
    const existing = specs.map((spec) => spec.name).filter((name) => !created.includes(name));
    const configs = await reconcileConfigs(
      admin,
      specs.filter((spec) => before.has(spec.name)),
    );
    return { created, existing, mismatched, ...configs };
  } finally {
    if (ownAdmin) await admin.disconnect();
  }
}

/**
 * Sets the spec's configs that differ on existing topics. A topic whose configs cannot be read or
 * set (e.g. no DescribeConfigs / AlterConfigs ACL) is reported, not thrown: its data is still there.
 */
async function reconcileConfigs(
  admin: Admin,
  specs: TopicSpec[],
): Promise<Pick<EnsureTopicsResult, 'reconfigured' | 'configErrors'>> {
  const result: Pick<EnsureTopicsResult, 'reconfigured' | 'configErrors'> = {
    reconfigured: [],
    configErrors: [],
  };
  const wanted = specs.filter((spec) => Object.keys(configsOf(spec)).length > 0);
  if (wanted.length === 0) return result;
  let resources: DescribeConfigResponse['resources'];
  try {
    ({ resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: wanted.map((spec) => ({ type: ConfigResourceTypes.TOPIC, name: spec.name })),
    }));
  } catch (error) {
    result.configErrors = wanted.map((spec) => ({
      name: spec.name,
      message: `cannot read its configs: ${(error as Error).message}`,
    }));
    return result;
  }
  for (const spec of wanted) {
    try {
      const described = resources.find((resource) => resource.resourceName === spec.name);
      const changes = await reconcileTopic(admin, spec, described);
      if (changes) result.reconfigured.push({ name: spec.name, changes });
    } catch (error) {
      result.configErrors.push({ name: spec.name, message: (error as Error).message });
    }
  }
  return result;
}

/**
 * One topic's changes, set (undefined: none). AlterConfigs (the API kafkajs has) replaces a topic's
 * whole set of overrides, so the request carries its current overrides with the spec's on top.
 */
async function reconcileTopic(
  admin: Admin,
  spec: TopicSpec,
  described: DescribeConfigResponse['resources'][number] | undefined,
): Promise<Record<string, ConfigChange> | undefined> {
  // without the topic's current overrides, setting the spec's would drop them
  if (!described || described.errorCode !== 0) {
    throw new Error(`cannot read its configs: ${described?.errorMessage ?? 'not described'}`);
  }
  const entries = described.configEntries;
  const current = new Map(entries.map((entry) => [entry.configName, entry.configValue]));
  const changes: Record<string, ConfigChange> = {};
  for (const [name, to] of Object.entries(configsOf(spec))) {
    const from = current.get(name) ?? null;
    if (from !== to) changes[name] = { from, to };
  }
  if (Object.keys(changes).length === 0) return undefined;
  const overrides = entries.filter((entry) => entry.configSource === ConfigSource.TOPIC_CONFIG);
  const hidden = overrides.find((entry) => entry.configValue === null);
  if (hidden)
    throw new Error(`cannot change its configs without losing the hidden value of ${hidden.configName}`);
  const next = new Map(overrides.map((entry) => [entry.configName, entry.configValue]));
  for (const [name, { to }] of Object.entries(changes)) next.set(name, to);
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: spec.name,
          configEntries: [...next].map(([name, value]) => ({ name, value })),
        },
      ],
    });
  } catch (error) {
    throw new Error(`cannot set ${describeChanges(changes)}: ${(error as Error).message}`);
  }
  return changes;
}

/** One line per reconfigured topic: `name: key from -> to, ...` (for the bootstrap's log). */
export function describeReconfigured(reconfigured: EnsureTopicsResult['reconfigured']): string[] {
  return reconfigured.map(({ name, changes }) => `${name}: ${describeChanges(changes)}`);
}

function describeChanges(changes: Record<string, ConfigChange>): string {
  return Object.entries(changes)
    .map(([key, { from, to }]) => `${key} ${from ?? '(none shown)'} -> ${to}`)
    .join(', ');
}

function configsOf(spec: TopicSpec): Record<string, string> {
  return { ...(spec.compacted ? { 'cleanup.policy': 'compact' } : {}), ...spec.configs };
}

function toTopicConfig(spec: TopicSpec, replicationFactor: number): ITopicConfig {
  const configs = configsOf(spec);
  return {
    topic: spec.name,
    numPartitions: spec.partitions,
    replicationFactor,
    configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
  };
}

function isAdmin(target: KafkaConnectionOptions | Admin): target is Admin {
  return 'createTopics' in target;
}
