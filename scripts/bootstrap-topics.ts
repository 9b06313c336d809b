import { COMPACTED_TOPICS, TopicRole } from '@app/contracts';
import { defineEnvSchema, kafkaEnv, loadConfig, topicsEnv, TopicsConfig } from '@app/config';
import { ensureTopics, TopicSpec } from '@app/kafka';

/** Event topics keep 7 days (the replay/rebuild horizon); dead letters 14 days for triage. */
const RETENTION_MS: Partial<Record<TopicRole, number>> = {
  raw: 7 * 24 * 3600_000,
  enriched: 7 * 24 * 3600_000,
  deadLetter: 14 * 24 * 3600_000,
};

export function pipelineTopicSpecs(topics: TopicsConfig): TopicSpec[] {
  return (Object.keys(topics.names) as TopicRole[]).map((role) => {
    const retentionMs = RETENTION_MS[role];
    return {
      name: topics.names[role],
      partitions: topics.partitions[role],
      // Compacted change feeds and state topics keep the last record per key forever.
      compacted: COMPACTED_TOPICS.includes(role),
      configs: retentionMs ? { 'retention.ms': String(retentionMs) } : undefined,
    };
  });
}

async function main(): Promise<void> {
  const config = loadConfig(
    defineEnvSchema({ kafka: kafkaEnv({ clientId: 'nowcast-bootstrap' }), topics: topicsEnv() }),
    process.env,
  );
  const result = await ensureTopics(
    { ...config.kafka, brokers: [...config.kafka.brokers] },
    pipelineTopicSpecs(config.topics),
  );
  console.log(
    `topics: ${result.created.length} created, ${result.existing.length} already there` +
      (result.mismatched.length
        ? `; partition mismatch (left alone): ${JSON.stringify(result.mismatched)}`
        : ''),
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('topic bootstrap failed:', error);
    process.exit(1);
  });
}
