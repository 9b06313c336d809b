import { Admin, ITopicConfig } from 'kafkajs';
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
}

/**
 * Idempotent topic bootstrap: creates the missing topics (waiting for their leaders) and leaves
 * existing ones alone, also when another process creates them concurrently.
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
    return { created, existing, mismatched };
  } finally {
    if (ownAdmin) await admin.disconnect();
  }
}

function toTopicConfig(spec: TopicSpec, replicationFactor: number): ITopicConfig {
  const configs: Record<string, string> = {
    ...(spec.compacted ? { 'cleanup.policy': 'compact' } : {}),
    ...spec.configs,
  };
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
