import { KAFKA_BATCH_TRANSPORT, KafkaBatch } from '@app/kafka';
import { Controller, Type } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { EmbeddingWriterService } from './embedding-writer.service';

/**
 * Thin entry point: one enriched-topic partition batch at a time into the writer. Built per topic
 * name because `@EventPattern` is static and the topic comes from config (TOPIC_ENRICHED).
 */
export function embeddingWriterConsumer(enrichedTopic: string): Type<unknown> {
  @Controller()
  class EmbeddingWriterConsumer {
    constructor(private readonly writer: EmbeddingWriterService) {}

    @EventPattern(enrichedTopic, KAFKA_BATCH_TRANSPORT)
    onEnrichedBatch(batch: KafkaBatch): Promise<void> {
      return this.writer.handleBatch(batch);
    }
  }
  return EmbeddingWriterConsumer;
}
