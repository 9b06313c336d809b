import { pipelineTopicSpec } from '@app/config';
import { EnsureTopicsResult, ensureTopics, kafkaConnectionOf } from '@app/kafka';
import type { EnricherFeatureConfig } from '../runtime/enricher-feature.config';

/** max.message.bytes of the enriched and dead-letter topics (a record batch, not one event), bytes. */
export const OUTPUT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * Creates the enricher's topics if missing and brings the configs it names to this release's
 * (idempotent; partition counts are never changed). One raw batch
 * (up to ENRICHER_MAX_BYTES_PER_PARTITION) becomes one transactional record batch per output
 * partition, and enrichment makes events larger: above the broker's 1 MiB default, hence the
 * larger max.message.bytes of the output topics. The lifecycle feed is created as the bootstrap
 * creates it (compacted, large batches).
 */
export async function ensureEnricherTopics(config: EnricherFeatureConfig): Promise<EnsureTopicsResult> {
  const { kafka, topics } = config;
  return ensureTopics(
    {
      ...kafkaConnectionOf(kafka),
      retry: { retries: 2 },
    },
    [
      ...(['raw', 'enriched', 'deadLetter'] as const).map((role) => ({
        name: topics.names[role],
        partitions: topics.partitions[role],
        ...(role === 'raw' ? {} : { configs: { 'max.message.bytes': String(OUTPUT_MAX_MESSAGE_BYTES) } }),
      })),
      pipelineTopicSpec(topics, 'streamLifecycle'),
    ],
  );
}
