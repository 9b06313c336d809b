import { matchesFilter, parseDeadLetterFilter, parseSince, toDeadLetterEntry } from './dead-letter.admin';

describe('dead-letter tool filters', () => {
  const entry = toDeadLetterEntry(0, {
    offset: '7',
    key: Buffer.from('stream-1'),
    value: Buffer.from(JSON.stringify({ type: 'view.started' })),
    headers: {
      'x-error-class': 'InvalidMessageError',
      'x-error-reason': 'invalid-field',
      'x-error-message': 'invalid-field: data.userId ...',
      'x-source-topic': 'raw',
      'x-source-partition': '2',
      'x-source-offset': '99',
      'x-consumer-group': 'g',
      'x-failed-at': '2026-01-02T00:00:00.000Z',
    },
    timestamp: 0,
  });

  it('reads the reason headers and the type of a JSON value', () => {
    expect(entry).toMatchObject({
      type: 'view.started',
      reason: 'invalid-field',
      sourcePartition: 2,
      sourceOffset: '99',
    });
  });

  it('matches every given term', () => {
    expect(matchesFilter(entry, parseDeadLetterFilter('reason=invalid-field,type=view.started'))).toBe(true);
    expect(matchesFilter(entry, parseDeadLetterFilter('reason=too-large'))).toBe(false);
    expect(matchesFilter(entry, parseDeadLetterFilter('offset=3|7'))).toBe(true);
    expect(matchesFilter(entry, { sinceMs: Date.UTC(2026, 0, 3) })).toBe(false);
  });

  it('rejects unknown filter terms and parses durations', () => {
    expect(() => parseDeadLetterFilter('colour=red')).toThrow(/unknown filter/);
    expect(parseSince('2h', 10_000_000)).toBe(10_000_000 - 7_200_000);
    expect(parseSince('2026-01-02T00:00:00Z')).toBe(Date.UTC(2026, 0, 2));
  });
});
