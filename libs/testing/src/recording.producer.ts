import type { EventProducer, OutboundMessage } from '@app/kafka';

/**
 * An EventProducer that keeps what it was given (unit tests): `sends` one entry per `send` call
 * (batching is visible), `sent` one entry per message in order; `failNext` rejects that many of the
 * next sends (a broker that is down), recording nothing for them.
 */
export class RecordingProducer implements EventProducer {
  readonly sends: { topic: string; messages: OutboundMessage[] }[] = [];
  readonly sent: { topic: string; message: OutboundMessage }[] = [];
  failNext = 0;

  send(topic: string, messages: OutboundMessage[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('broker down'));
    }
    this.sends.push({ topic, messages: [...messages] });
    for (const message of messages) this.sent.push({ topic, message });
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The messages sent to `topic`, in order. */
  messages(topic: string): OutboundMessage[] {
    return this.sent.filter((s) => s.topic === topic).map((s) => s.message);
  }

  /** The JSON-parsed values sent to `topic` (null for a Buffer or null value). */
  values(topic: string): unknown[] {
    return this.messages(topic).map((m) =>
      typeof m.value === 'string' ? (JSON.parse(m.value) as unknown) : null,
    );
  }
}
