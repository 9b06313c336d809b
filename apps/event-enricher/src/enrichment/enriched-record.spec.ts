import { Enrichment, NowcastEvent, UNKNOWN } from '@app/contracts';
import { toEnrichedRecord } from './enrich-batch.service';

const event = {
  eventId: 'e-1',
  type: 'view.started',
  schemaVersion: 1,
  occurredAt: 1_764_150_000_000,
  data: { userId: 'user-1', streamId: 'stream-1' },
} as NowcastEvent;
const enrichment: Enrichment = { ingestedAt: 1_764_150_000_005, stream: UNKNOWN, followsSeller: null };

describe('toEnrichedRecord', () => {
  it('splices the enrichment into the raw JSON text: same content as serialising the event', () => {
    const raw = ` {"eventId":"e-1", "type":"view.started","schemaVersion":1,"occurredAt":1764150000000,"data":{"streamId":"stream-1","userId":"user-1"}}\n`;
    const spliced = toEnrichedRecord(event, enrichment, raw, undefined);
    const serialised = toEnrichedRecord(event, enrichment, undefined, undefined);
    expect(JSON.parse(spliced.value as string)).toEqual(JSON.parse(serialised.value as string));
    expect(JSON.parse(serialised.value as string)).toEqual({ ...event, enrichment });
    expect(spliced.key).toBe('stream-1');
    expect(spliced.headers).toBeUndefined();
  });

  it('carries the given traceparent header', () => {
    const record = toEnrichedRecord(event, enrichment, undefined, '00-abc');
    expect(record.headers).toEqual({ traceparent: '00-abc' });
  });
});
