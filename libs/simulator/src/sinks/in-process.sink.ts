import { NowcastEvent } from '@app/contracts';
import { EventSink } from './event-sink';

/** Hands each batch to a callback in the same process (tests, the one-process mode's bus). */
export class InProcessSink implements EventSink {
  constructor(private readonly deliver: (events: readonly NowcastEvent[]) => void | Promise<void>) {}

  async write(events: readonly NowcastEvent[]): Promise<void> {
    await this.deliver(events);
  }

  async close(): Promise<void> {}
}
