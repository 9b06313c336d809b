import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS } from './logger.options';

describe('log redaction', () => {
  it('never writes API keys, authorization or cookies', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    logger.info({
      req: { headers: { 'x-api-key': 'k-secret', authorization: 'Bearer t-secret', cookie: 'c' } },
    });
    expect(lines.join()).not.toMatch(/secret/);
    expect(lines.join()).toContain('[redacted]');
  });
});
