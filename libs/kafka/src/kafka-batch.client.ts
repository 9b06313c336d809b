import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { EventProducer, OutboundMessage } from './batch.types';
import { BatchingProducer, BatchingProducerOptions } from './batching.producer';

/** Either connection options (the client owns a BatchingProducer) or a producer to share (e.g. the in-process one). */
export type KafkaBatchClientOptions = BatchingProducerOptions | { producer: EventProducer };

/**
 * The client side of the transport: `client.emit(topic, message | message[])` produces through the
 * batching producer and completes once the broker acknowledged (acks = all). Request/response
 * (`send`) is not offered: the pipeline is event-driven.
 */
export class KafkaBatchClient extends ClientProxy {
  private readonly producer: EventProducer;
  private readonly ownsProducer: boolean;

  constructor(options: KafkaBatchClientOptions) {
    super();
    if ('producer' in options) {
      this.producer = options.producer;
      this.ownsProducer = false;
    } else {
      this.producer = new BatchingProducer(options);
      this.ownsProducer = true;
    }
  }

  /** Called by Nest before every emit: cheap once connected. */
  async connect(): Promise<void> {
    if (this.producer instanceof BatchingProducer) await this.producer.connect();
  }

  async close(): Promise<void> {
    if (this.ownsProducer) await this.producer.close();
    else await this.producer.flush();
  }

  unwrap<T>(): T {
    return this.producer as unknown as T;
  }

  protected async dispatchEvent<T = undefined>(packet: ReadPacket<unknown>): Promise<T> {
    const topic = this.normalizePattern(packet.pattern as string);
    const messages = Array.isArray(packet.data) ? (packet.data as unknown[]) : [packet.data];
    await this.producer.send(topic, messages.map(assertOutboundMessage));
    return undefined as T;
  }

  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({
      err: new Error('KafkaBatchClient supports emit() only (no request/response)'),
      isDisposed: true,
    });
    return () => undefined;
  }
}

function assertOutboundMessage(candidate: unknown): OutboundMessage {
  const isBytes = (v: unknown): boolean => v === null || typeof v === 'string' || Buffer.isBuffer(v);
  if (typeof candidate === 'object' && candidate !== null && 'value' in candidate && 'key' in candidate) {
    const { key, value } = candidate;
    if (isBytes(key) && isBytes(value)) return candidate as OutboundMessage;
  }
  throw new TypeError('KafkaBatchClient.emit expects { key, value, headers? } (or an array of them)');
}
