import { APP_CONFIG } from '@app/config';
import { ReadinessRegistry, ShutdownState, createFastifyService, kafkaConsumerCheck } from '@app/health';
import { KafkaBatchServer, describeReconfigured, kafkaConnectionOf, retryUntilStopped } from '@app/kafka';
import { DynamicModule, Logger as NestLogger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PipelineMetrics } from '@app/observability';
import { TRANSACTION_CHUNK_MESSAGES } from '../enrichment/enrich-batch.service';
import { ensureEnricherTopics } from '../enrichment/enricher-topics';
import type { EnricherFeatureConfig } from './enricher-feature.config';
import { LifecycleFastLane } from '../lifecycle-fast-lane/lifecycle-fast-lane';

export interface EventEnricherApp {
  app: NestFastifyApplication;
  consumer: KafkaBatchServer;
}

/** The raw-topic consumer: transactional (per input partition, or per fetch: ENRICHER_TRANSACTION_SCOPE), read committed. */
export function createEnricherConsumer(config: EnricherFeatureConfig): KafkaBatchServer {
  const { kafka, enricher } = config;
  return new KafkaBatchServer({
    ...kafkaConnectionOf(kafka),
    groupId: enricher.groupId,
    groupInstanceId: kafka.groupInstanceId,
    readCommitted: true,
    transactional: {
      scope: enricher.transactionScope,
      transactionalIdPrefix: enricher.transactionalIdPrefix,
      maxBufferedMessages: TRANSACTION_CHUNK_MESSAGES,
    },
    maxWaitTimeMs: enricher.maxWaitMs,
    partitionsConsumedConcurrently: enricher.partitionsConcurrently,
    maxBytesPerPartition: enricher.maxBytesPerPartition,
    minBytes: enricher.fetchMinBytes,
  });
}

/**
 * One event-enricher process: the Fastify HTTP app (ingress, health, metrics; body limit from
 * config, so Fastify answers 413 itself) with the raw-topic consumer attached as a Nest
 * microservice. Not started: call `startEventEnricherApp`.
 */
export async function createEventEnricherApp(
  root: DynamicModule,
  config: EnricherFeatureConfig,
): Promise<EventEnricherApp> {
  const app = await createFastifyService(root, { bodyLimit: config.ingress.bodyLimitBytes });
  const consumer = createEnricherConsumer(config);
  app.connectMicroservice({ strategy: consumer }, { inheritAppConfig: true });
  app.get(ReadinessRegistry).register(kafkaConsumerCheck('enricher-consumer', () => consumer.health()));
  consumer.observe(app.get(PipelineMetrics).transportObserver());
  return { app, consumer };
}

/** Between attempts of the topic bootstrap while Kafka is unreachable, ms (with jitter). */
const TOPIC_BOOTSTRAP_BACKOFF = { initialMs: 500, maxMs: 10_000, multiplier: 2 };

/**
 * Serves HTTP first (health and metrics answer, readiness says "consumer not joined"), then creates
 * the topics if missing (retried with backoff while Kafka is unreachable: an outage must not crash
 * the boot), then starts consuming. `port` 0 picks a free one (tests).
 */
export async function startEventEnricherApp(
  { app }: Pick<EventEnricherApp, 'app'>,
  port: number,
  host = '0.0.0.0',
): Promise<void> {
  await app.listen(port, host);
  const config = app.get<EnricherFeatureConfig>(APP_CONFIG);
  const shutdown = app.get(ShutdownState);
  const logger = new NestLogger('EventEnricher');
  // a shutdown during the bootstrap's backoff ends it at once, not after the wait
  const stopped = new AbortController();
  const unsubscribe = shutdown.onBegin(() => stopped.abort());
  const bootstrapTopics = async () => {
    const { reconfigured, configErrors } = await ensureEnricherTopics(config);
    for (const line of describeReconfigured(reconfigured)) logger.log(`topic configs updated: ${line}`);
    // the topics are there: their configs wait for an operator, the events do not
    for (const { name, message } of configErrors)
      logger.warn(`topic configs not updated: ${name}: ${message}`);
  };
  const created = await retryUntilStopped(bootstrapTopics, {
    backoff: TOPIC_BOOTSTRAP_BACKOFF,
    signal: stopped.signal,
    onFailure: (error, attempt, delayMs) =>
      logger.warn(
        `topic bootstrap failed (attempt ${attempt}), retrying in ${delayMs} ms: ${(error as Error).message}`,
      ),
  });
  unsubscribe();
  if (!created) return;
  // in the background: the lane retries its own start, and the round does not wait for it
  if (config.enricher.lifecycleFastLane) void app.get(LifecycleFastLane).start();
  await app.startAllMicroservices();
}
