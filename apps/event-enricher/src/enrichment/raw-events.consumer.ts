import { KafkaBatch } from '@app/kafka';
import { Controller, Type } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { EnrichBatchService } from './enrich-batch.service';

/**
 * The raw topic's batch handler. The transports route a batch by its topic name, and the topic
 * comes from config (TOPIC_RAW), so the controller is declared per topic at module creation
 * rather than with a constant pattern.
 */
export function rawEventsConsumer(rawTopic: string): Type<unknown> {
  @Controller()
  class RawEventsConsumer {
    constructor(private readonly batches: EnrichBatchService) {}

    @EventPattern(rawTopic)
    async onBatch(batch: KafkaBatch): Promise<void> {
      await this.batches.handle(batch);
    }
  }
  return RawEventsConsumer;
}
