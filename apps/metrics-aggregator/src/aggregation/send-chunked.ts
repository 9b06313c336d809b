import { EventProducer, OutboundMessage } from '@app/kafka';

/**
 * Messages per producer call: BatchingProducer sends one `send` call's messages as one request,
 * and Kafka refuses a partition's record batch above message.max.bytes (1 MiB by default).
 * 500 change-feed records of ~1 KiB stay well below it.
 */
export const SEND_CHUNK = 500;

export async function sendChunked(
  producer: EventProducer,
  topic: string,
  messages: OutboundMessage[],
): Promise<void> {
  const sends: Promise<void>[] = [];
  for (let i = 0; i < messages.length; i += SEND_CHUNK)
    sends.push(producer.send(topic, messages.slice(i, i + SEND_CHUNK)));
  await Promise.all(sends);
}
