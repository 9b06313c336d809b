import { EventProducer, OutboundMessage } from '../batch.types';
import { InProcessBus } from './in-process.bus';

/** The in-process twin of BatchingProducer: appends to the bus; "acknowledged" once appended. */
export class InProcessProducer implements EventProducer {
  private closed = false;

  constructor(private readonly bus: InProcessBus) {}

  send(topic: string, messages: OutboundMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('producer is closed'));
    try {
      this.bus.produce(topic, messages);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
