// Prints every service's environment schema as JSON: { "<app>": [{ name, type, required,
// default, description, secret, allowed? }] }. Source of the README env table and of the
// compose/k8s checks, so none of them can drift from what the services validate.
import { describeEnv } from '@app/config';
import { embeddingWriterEnvSchema } from '../apps/embedding-writer/src/config/embedding-writer.config';
import { eventEnricherEnvSchema } from '../apps/event-enricher/src/config/event-enricher.config';
import { metricsAggregatorEnvSchema } from '../apps/metrics-aggregator/src/config/metrics-aggregator.config';
import { recommenderApiEnvSchema } from '../apps/recommender-api/src/config/recommender-api.config';

const schemas = {
  'event-enricher': describeEnv(eventEnricherEnvSchema),
  'metrics-aggregator': describeEnv(metricsAggregatorEnvSchema),
  'embedding-writer': describeEnv(embeddingWriterEnvSchema),
  'recommender-api': describeEnv(recommenderApiEnvSchema),
};

process.stdout.write(`${JSON.stringify(schemas, null, 2)}\n`);
