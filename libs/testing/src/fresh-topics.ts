import { TOPIC_ENV_VARIABLES, loadConfig, pipelineTopicSpecs, topicsEnv } from '@app/config';
import { ensureTopics } from '@app/kafka';
import { testInfra, uniqueName } from './test-infra';

/**
 * Fresh, empty pipeline topics on the test broker, created as the bootstrap would create them;
 * returns the TOPIC_* environment that points an app at them.
 */
export async function freshPipelineTopics(prefix: string, partitions = 1): Promise<Record<string, string>> {
  const unique = uniqueName(prefix);
  const env: Record<string, string> = { TOPIC_PARTITIONS: String(partitions) };
  for (const [role, variable] of Object.entries(TOPIC_ENV_VARIABLES)) env[variable] = `${unique}.${role}`;
  const { topics } = loadConfig({ topics: topicsEnv() }, env);
  await ensureTopics({ brokers: testInfra().kafkaBrokers, clientId: unique }, pipelineTopicSpecs(topics), {
    replicationFactor: 1,
  });
  return env;
}
