import { Writable } from 'node:stream';

/** One parsed JSON log line. */
export type LogLine = Record<string, unknown>;

/** A pino destination for tests: every line written is parsed and pushed onto `lines`. */
export function jsonLinesSink(lines: LogLine[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
}
