import { BatchTransaction, OutboundMessage } from '../batch.types';
import { TopicWrite } from './in-process.bus';

/** Collects a batch's sends; the server hands them to the bus together with the offsets, or drops them. */
export class InProcessTransaction implements BatchTransaction {
  private readonly writes: TopicWrite[] = [];
  private ended = false;

  send(topic: string, messages: OutboundMessage[]): void {
    if (this.ended) throw new Error('This batch has ended: its transaction no longer accepts messages');
    this.writes.push({ topic, messages: [...messages] });
  }

  end(): TopicWrite[] {
    this.ended = true;
    return this.writes;
  }
}
