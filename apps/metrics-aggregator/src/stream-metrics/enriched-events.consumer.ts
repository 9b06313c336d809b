import { KafkaBatch } from '@app/kafka';
import { Controller, Inject, Type } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { EnrichedBatchHandler } from './enriched-batch.handler';

/**
 * The enriched topic's batch handler. The topic name comes from config (TOPIC_ENRICHED), so the
 * controller is declared per topic when the module is created.
 */
export function enrichedEventsConsumer(enrichedTopic: string): Type<unknown> {
  @Controller()
  class EnrichedEventsConsumer {
    constructor(@Inject(EnrichedBatchHandler) private readonly handler: EnrichedBatchHandler) {}

    @EventPattern(enrichedTopic)
    async onBatch(batch: KafkaBatch): Promise<void> {
      await this.handler.handle(batch);
    }
  }
  return EnrichedEventsConsumer;
}
