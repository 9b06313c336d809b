import { NowcastEvent } from '@app/contracts';

/**
 * Where simulated (or replayed) events go. `write` resolves once the sink accepted the batch
 * (written to the file buffer, acknowledged by the broker, handed to the callback): awaiting it is
 * the backpressure. `close` flushes and releases resources.
 */
export interface EventSink {
  write(events: readonly NowcastEvent[]): Promise<void>;
  close(): Promise<void>;
}
