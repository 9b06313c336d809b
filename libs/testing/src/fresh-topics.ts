import { loadConfig, pipelineTopicSpecs, topicsEnv } from '@app/config';
import { ensureTopics } from '@app/kafka';
import { testInfra, uniqueName } from './test-infra';

const TOPIC_VARIABLES = {
  raw: 'TOPIC_RAW',
  enriched: 'TOPIC_ENRICHED',
  deadLetter: 'TOPIC_DEAD_LETTER',
  metricsStreams: 'TOPIC_METRICS_STREAMS',
  embeddingsStreams: 'TOPIC_EMBEDDINGS_STREAMS',
  embeddingsUsers: 'TOPIC_EMBEDDINGS_USERS',
  stateFollows: 'TOPIC_STATE_FOLLOWS',
  watermarks: 'TOPIC_WATERMARKS',
} as const;

/**
 * Fresh, empty pipeline topics on the test broker, created as the bootstrap would create them;
 * returns the TOPIC_* environment that points an app at them.
 */
export async function freshPipelineTopics(prefix: string, partitions = 1): Promise<Record<string, string>> {
  const unique = uniqueName(prefix);
  const env: Record<string, string> = { TOPIC_PARTITIONS: String(partitions) };
  for (const [role, variable] of Object.entries(TOPIC_VARIABLES)) env[variable] = `${unique}.${role}`;
  const { topics } = loadConfig({ topics: topicsEnv() }, env);
  await ensureTopics({ brokers: testInfra().kafkaBrokers, clientId: unique }, pipelineTopicSpecs(topics), {
    replicationFactor: 1,
  });
  return env;
}
