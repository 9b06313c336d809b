import { CompressionTypes, Producer, TopicMessages } from 'kafkajs';
import { EventProducer, OutboundMessage } from './batch.types';
import { createKafka, KafkaConnectionOptions } from './kafka-connection.options';
import { LingerBatcher } from './linger.batcher';
import { MemoizedDefaultPartitioner } from './memoized.partitioner';
import { toKafkaMessage } from './message.codec';

export interface BatchingProducerOptions extends KafkaConnectionOptions {
  /** How long a message may wait for others before its batch is sent, ms. */
  lingerMs?: number;
  /**
   * Messages per sendBatch request at most. Default 2500: kafkajs groups a batch per partition by
   * copying arrays (quadratic in messages per partition), so much larger batches cost more CPU and
   * garbage than the round trips they save (measured: 2500 beat 1000 and 10000).
   */
  maxBatchMessages?: number;
  /** Messages waiting to be sent above which `send` rejects with ProducerBufferFullError. */
  maxPendingMessages?: number;
  compression?: CompressionTypes;
}

interface TopicMessage {
  topic: string;
  message: OutboundMessage;
}

/**
 * The idempotent producer (acks = all) with the linger batching kafkajs lacks: sends made within
 * `lingerMs` become one `sendBatch`, so throughput does not collapse to one round trip per send.
 * kafkajs' idempotence requires maxInFlightRequests 1; ordering per partition is kept.
 */
export class BatchingProducer implements EventProducer {
  private readonly producer: Producer;
  private readonly batcher: LingerBatcher<TopicMessage>;
  private connecting: Promise<void> | null = null;

  constructor(private readonly options: BatchingProducerOptions) {
    this.producer = createKafka(options, 'producer').producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: MemoizedDefaultPartitioner,
    });
    this.batcher = new LingerBatcher((items) => this.sendBatch(items), {
      lingerMs: options.lingerMs ?? 2,
      maxBatchItems: options.maxBatchMessages ?? 2_500,
      maxPendingItems: options.maxPendingMessages ?? 200_000,
    });
  }

  /** Optional: `send` connects lazily; call this to fail fast at boot. */
  connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  send(topic: string, messages: OutboundMessage[]): Promise<void> {
    return this.batcher.add(messages.map((message) => ({ topic, message })));
  }

  flush(): Promise<void> {
    return this.batcher.flush();
  }

  async close(): Promise<void> {
    await this.batcher.close();
    if (this.connecting) await this.producer.disconnect();
    this.connecting = null;
  }

  /** The underlying kafkajs producer (for instrumentation events). */
  unwrap(): Producer {
    return this.producer;
  }

  private async sendBatch(items: TopicMessage[]): Promise<void> {
    await this.connect();
    const byTopic = new Map<string, TopicMessages>();
    for (const { topic, message } of items) {
      let entry = byTopic.get(topic);
      if (!entry) {
        entry = { topic, messages: [] };
        byTopic.set(topic, entry);
      }
      entry.messages.push(toKafkaMessage(message));
    }
    await this.producer.sendBatch({
      topicMessages: [...byTopic.values()],
      acks: -1,
      compression: this.options.compression ?? CompressionTypes.None,
    });
  }
}
