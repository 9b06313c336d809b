import { NowcastEvent } from '@app/contracts';
import { WriteStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { EventSink } from './event-sink';

/** One JSON envelope per line (the log format `npm run replay` and the evaluation harness read). */
export class JsonLinesFileSink implements EventSink {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'w', encoding: 'utf8', highWaterMark: 1 << 20 });
  }

  async write(events: readonly NowcastEvent[]): Promise<void> {
    if (events.length === 0) return;
    let text = '';
    for (const event of events) text += JSON.stringify(event) + '\n';
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }
}
