import { EnvSchema } from '@app/config';
import { TopicRole } from '@app/contracts';
import {
  SERVICE_NAME as EMBEDDING_WRITER,
  embeddingWriterEnvSchema,
} from '../apps/embedding-writer/src/config/embedding-writer.config';
import {
  SERVICE_NAME as EVENT_ENRICHER,
  eventEnricherEnvSchema,
} from '../apps/event-enricher/src/config/event-enricher.config';
import {
  SERVICE_NAME as METRICS_AGGREGATOR,
  metricsAggregatorEnvSchema,
} from '../apps/metrics-aggregator/src/config/metrics-aggregator.config';
import {
  SERVICE_NAME as RECOMMENDER_API,
  recommenderApiEnvSchema,
} from '../apps/recommender-api/src/config/recommender-api.config';

export interface DeployedService {
  name: string;
  schema: EnvSchema;
  /**
   * The topic whose partitions its consumer group shares, if it is a group consumer: its
   * replicas above that count would sit idle. recommender-api reads every partition of the
   * change feeds in each replica (a local replica), so it scales with traffic instead.
   */
  groupConsumes?: TopicRole;
}

/** The four deployables and their env schemas: the source of the docs and the deploy checks. */
export const DEPLOYED_SERVICES: readonly DeployedService[] = [
  { name: EVENT_ENRICHER, schema: eventEnricherEnvSchema, groupConsumes: 'raw' },
  { name: METRICS_AGGREGATOR, schema: metricsAggregatorEnvSchema, groupConsumes: 'enriched' },
  { name: EMBEDDING_WRITER, schema: embeddingWriterEnvSchema, groupConsumes: 'enriched' },
  { name: RECOMMENDER_API, schema: recommenderApiEnvSchema },
];
