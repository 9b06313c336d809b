import { EventProducer, OutboundMessage } from '@app/kafka';

/** An EventProducer that keeps what it was given, per topic (unit tests). */
export class RecordingProducer implements EventProducer {
  readonly sent: { topic: string; message: OutboundMessage }[] = [];

  send(topic: string, messages: OutboundMessage[]): Promise<void> {
    for (const message of messages) this.sent.push({ topic, message });
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  values(topic: string): unknown[] {
    return this.sent
      .filter((s) => s.topic === topic)
      .map((s) => (typeof s.message.value === 'string' ? (JSON.parse(s.message.value) as unknown) : null));
  }
}
