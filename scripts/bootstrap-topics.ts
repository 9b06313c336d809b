import { defineEnvSchema, kafkaEnv, loadConfig, pipelineTopicSpecs, topicsEnv } from '@app/config';
import { describeReconfigured, ensureTopics } from '@app/kafka';

/**
 * `npm run topics:bootstrap`: creates every pipeline topic that is missing and brings the configs
 * the release names on existing ones to its values (idempotent).
 */
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
  for (const line of describeReconfigured(result.reconfigured)) console.log(`topic configs updated: ${line}`);
  for (const { name, message } of result.configErrors)
    console.error(`topic configs NOT updated: ${name}: ${message}`);
  if (result.configErrors.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error('topic bootstrap failed:', error);
  process.exit(1);
});
