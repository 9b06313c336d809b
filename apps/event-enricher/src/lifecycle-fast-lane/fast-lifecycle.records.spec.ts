import { loadConfig } from '@app/config';
import { eventEnricherEnvSchema } from '../config/event-enricher.config';
import { rawEventParseOptions } from '../enrichment/enrich-batch.service';
import { fastLifecycleRecords } from './fast-lifecycle.records';

const { enricher } = loadConfig(eventEnricherEnvSchema, {});
const NOW = 1_790_000_000_000;
const options = () => rawEventParseOptions(enricher, NOW);

function raw(eventId: string, type: string, data: object, occurredAt = NOW - 500) {
  return { value: Buffer.from(JSON.stringify({ eventId, type, schemaVersion: 1, occurredAt, data })) };
}

const started = {
  streamId: 'st-1',
  sellerId: 'se-1',
  title: 'show',
  category: 'art',
  tags: [],
  language: 'en',
};

describe('fastLifecycleRecords', () => {
  it("writes a batch's starts, ends and removals as the transaction round does, ends without their run", () => {
    const records = fastLifecycleRecords(
      [
        raw('e1', 'stream.started', started),
        raw('e2', 'view.started', { userId: 'u-1', streamId: 'st-1' }),
        raw('e3', 'stream.ended', { streamId: 'st-1' }, NOW - 100),
        raw('e4', 'stream.removed', { streamId: 'st-2', reason: 'policy' }, NOW - 50),
      ],
      options,
    );
    expect(records.map((r) => [r.key, JSON.parse(String(r.value)) as unknown])).toEqual([
      [
        'st-1',
        {
          schemaVersion: 1,
          streamId: 'st-1',
          eventId: 'e1',
          live: true,
          startedAt: NOW - 500,
          sellerId: 'se-1',
          title: 'show',
          category: 'art',
          language: 'en',
        },
      ],
      [
        'st-1',
        {
          schemaVersion: 1,
          streamId: 'st-1',
          eventId: 'e3',
          live: false,
          endedAt: NOW - 100,
          endReason: 'ended',
        },
      ],
      [
        'st-2',
        {
          schemaVersion: 1,
          streamId: 'st-2',
          eventId: 'e4',
          live: false,
          endedAt: NOW - 50,
          endReason: 'removed',
        },
      ],
    ]);
  });

  it('skips what the round dead-letters: invalid, too old, not JSON, empty', () => {
    const records = fastLifecycleRecords(
      [
        raw('e1', 'stream.started', { ...started, sellerId: '' }),
        raw('e2', 'stream.started', started, NOW - enricher.maxPastMs - 1),
        { value: Buffer.from('{"type":"stream.started",') },
        { value: null },
        raw('e3', 'stream.started', { ...started, streamId: 'st-ok' }),
      ],
      options,
    );
    expect(records.map((r) => r.key)).toEqual(['st-ok']);
  });

  it('parses only messages that may be stream events', () => {
    let parses = 0;
    const counting = () => {
      parses++;
      return options();
    };
    expect(
      fastLifecycleRecords([raw('e1', 'chat.sent', { userId: 'u', streamId: 's', text: 'hi' })], counting),
    ).toEqual([]);
    expect(parses).toBe(0);
    // a chat that quotes a type is parsed, and is no lifecycle record
    const quoting = raw('e2', 'chat.sent', { userId: 'u', streamId: 's', text: 'a "stream.started" joke' });
    expect(fastLifecycleRecords([quoting], counting)).toEqual([]);
    expect(parses).toBe(1);
  });
});
