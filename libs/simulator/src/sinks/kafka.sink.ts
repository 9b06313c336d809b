import { NowcastEvent, partitionKeyOf } from '@app/contracts';
import { CompressionTypes, Kafka, Message, Partitioners, Producer, logLevel } from 'kafkajs';
import { EventSink } from './event-sink';

export interface KafkaSinkOptions {
  brokers: string[];
  topic: string;
  clientId?: string;
  /** Most messages per produce request (KafkaJS has no linger: we batch ourselves). Default 2,000. */
  maxBatch?: number;
  /** acks: -1 = all in-sync replicas (default), 1 = leader only. */
  acks?: -1 | 1;
  /** Create the topic with this many partitions if it does not exist (else it must exist). */
  createTopicPartitions?: number;
}

/**
 * Produces events to the raw topic, key = partitionKeyOf(event) (so a stream's events stay in
 * order on one partition), value = the JSON envelope. One awaited send per chunk of up to
 * maxBatch messages: awaiting each single message would cap a KafkaJS producer near 2k msg/s.
 */
export class KafkaSink implements EventSink {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private connected?: Promise<void>;
  private readonly maxBatch: number;

  constructor(private readonly options: KafkaSinkOptions) {
    const kafka = (this.kafka = new Kafka({
      clientId: options.clientId ?? 'nowcast-simulator',
      brokers: options.brokers,
      logLevel: logLevel.WARN,
    }));
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.maxBatch = options.maxBatch ?? 2_000;
  }

  async write(events: readonly NowcastEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.connected ??= this.connect();
    await this.connected;
    for (let start = 0; start < events.length; start += this.maxBatch) {
      const messages: Message[] = [];
      const end = Math.min(events.length, start + this.maxBatch);
      for (let i = start; i < end; i++) {
        messages.push({ key: partitionKeyOf(events[i]), value: JSON.stringify(events[i]) });
      }
      await this.producer.send({
        topic: this.options.topic,
        messages,
        acks: this.options.acks ?? -1,
        compression: CompressionTypes.None,
      });
    }
  }

  private async connect(): Promise<void> {
    const partitions = this.options.createTopicPartitions;
    if (partitions !== undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({
          topics: [{ topic: this.options.topic, numPartitions: partitions }],
          waitForLeaders: true,
        });
      } finally {
        await admin.disconnect();
      }
    }
    await this.producer.connect();
  }

  async close(): Promise<void> {
    if (this.connected) {
      await this.connected.catch(() => undefined);
      await this.producer.disconnect();
    }
  }
}
