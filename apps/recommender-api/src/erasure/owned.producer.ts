import { EventProducer, OutboundMessage } from '@app/kafka';
import { OnApplicationShutdown } from '@nestjs/common';

/** A producer this app created: flushed and closed at shutdown (a shared one is left alone). */
export class OwnedProducer implements EventProducer, OnApplicationShutdown {
  constructor(
    private readonly producer: EventProducer,
    private readonly owned: boolean,
  ) {}

  send(topic: string, messages: OutboundMessage[]): Promise<void> {
    return this.producer.send(topic, messages);
  }

  flush(): Promise<void> {
    return this.producer.flush();
  }

  close(): Promise<void> {
    return this.producer.close();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.producer.close();
    else await this.producer.flush();
  }
}
