import { pipelineTopicSpec } from '@app/config';
import { EnsureTopicsResult, ensureTopics, kafkaConnectionOf } from '@app/kafka';
import type { EnricherFeatureConfig } from '../runtime/enricher-feature.config';

/**
 * Creates the enricher's topics if missing and brings the configs it names to this release's
 * (idempotent; partition counts are never changed), exactly as the topic bootstrap does - with the
 * same specs, so the two never set a config back and forth. One raw batch (up to
 * ENRICHER_MAX_BYTES_PER_PARTITION) becomes one transactional record batch per output partition,
 * and enrichment makes events larger: above the broker's 1 MiB default, hence the larger
 * max.message.bytes of the event topics and the lifecycle feeds.
 */
export async function ensureEnricherTopics(config: EnricherFeatureConfig): Promise<EnsureTopicsResult> {
  const { kafka, topics } = config;
  return ensureTopics(
    {
      ...kafkaConnectionOf(kafka),
      retry: { retries: 2 },
    },
    (['raw', 'enriched', 'deadLetter', 'streamLifecycle', 'streamLifecycleFast'] as const).map((role) =>
      pipelineTopicSpec(topics, role),
    ),
  );
}
