import { defineEnvSchema, kafkaEnv, loadConfig, pipelineTopicSpecs, topicsEnv } from '@app/config';
import { ensureTopics } from '@app/kafka';

/** `npm run topics:bootstrap`: creates every pipeline topic that is missing (idempotent). */
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

main().catch((error: unknown) => {
  console.error('topic bootstrap failed:', error);
  process.exit(1);
});
