import { InvalidMessageError } from '@app/contracts';
import { deadLetterRecord } from './dead-letter.record';

describe('deadLetterRecord', () => {
  it('keeps the original key, bytes and headers and says why and where from', () => {
    const value = Buffer.from([0xff, 0x00, 0x7b]);
    const record = deadLetterRecord(
      {
        offset: '41',
        key: Buffer.from('stream-1'),
        value,
        headers: { traceparent: 'tp', 'x-error-reason': 'forged' },
        timestamp: 0,
      },
      InvalidMessageError.of('not-json', '', 'message is not valid JSON'),
      { topic: 'raw', partition: 3, consumerGroup: 'g' },
      Date.UTC(2026, 0, 2),
    );
    expect(record.key).toEqual(Buffer.from('stream-1'));
    expect(record.value).toBe(value);
    expect(record.headers).toEqual({
      traceparent: 'tp',
      'x-error-class': 'InvalidMessageError',
      'x-error-reason': 'not-json',
      'x-error-message': 'not-json: message is not valid JSON',
      'x-source-topic': 'raw',
      'x-source-partition': '3',
      'x-source-offset': '41',
      'x-consumer-group': 'g',
      'x-failed-at': '2026-01-02T00:00:00.000Z',
    });
  });
});
