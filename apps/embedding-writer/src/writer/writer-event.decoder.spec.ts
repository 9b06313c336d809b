import { InvalidMessageError } from '@app/contracts';
import { decodeWriterEvent } from './writer-event.decoder';

const enriched = (event: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ schemaVersion: 1, eventId: 'e1', ...event, enrichment: { ingestedAt: 1 } }));

const started = {
  type: 'stream.started',
  occurredAt: 1000,
  data: {
    streamId: 'st1',
    sellerId: 's1',
    title: 'Vintage watches',
    category: 'watches',
    tags: ['rolex'],
    language: 'en',
  },
};

function reasonOf(value: Buffer | string | null): string {
  try {
    decodeWriterEvent(value);
  } catch (error) {
    if (error instanceof InvalidMessageError) return `${error.reason} ${error.issues[0]?.path ?? ''}`;
    throw error;
  }
  return 'valid';
}

describe('decodeWriterEvent (the writer checks only what it reads)', () => {
  it('returns the parsed event with the fields the model uses', () => {
    const event = decodeWriterEvent(enriched(started));
    expect(event).toMatchObject(started);
    expect(
      decodeWriterEvent(
        enriched({ type: 'chat.message', occurredAt: 5, data: { userId: 'u1', streamId: 'st1' } }),
      ),
    ).toMatchObject({ type: 'chat.message', data: { userId: 'u1', streamId: 'st1' } });
  });

  it('accepts the types it ignores with their envelope only (their data is never read)', () => {
    expect(reasonOf(enriched({ type: 'stream.heartbeat', occurredAt: 5, data: {} }))).toBe('valid');
  });

  it('refuses what would break the model, with the contracts reasons', () => {
    expect(reasonOf(null)).toBe('not-json ');
    expect(reasonOf('{"type":')).toBe('not-json ');
    expect(reasonOf('[1]')).toBe('not-json ');
    expect(reasonOf(enriched({ type: 'stream.exploded', occurredAt: 1, data: {} }))).toBe(
      'unknown-type type',
    );
    expect(reasonOf(enriched({ ...started, schemaVersion: 2 }))).toBe('unsupported-version schemaVersion');
    expect(reasonOf(enriched({ ...started, occurredAt: 1.5 }))).toBe('invalid-field occurredAt');
    expect(reasonOf(enriched({ ...started, occurredAt: '1' }))).toBe('invalid-field occurredAt');
    expect(reasonOf(Buffer.from(JSON.stringify({ ...started, schemaVersion: 1 })))).toBe(
      'invalid-field enrichment',
    );
    expect(reasonOf(enriched({ ...started, data: [] }))).toBe('invalid-field data');
    const data = started.data;
    expect(reasonOf(enriched({ ...started, data: { ...data, streamId: 'has space' } }))).toBe(
      'invalid-field data.streamId',
    );
    expect(reasonOf(enriched({ ...started, data: { ...data, title: ' ' } }))).toBe(
      'invalid-field data.title',
    );
    expect(reasonOf(enriched({ ...started, data: { ...data, tags: ['ok', ''] } }))).toBe(
      'invalid-field data.tags',
    );
    expect(reasonOf(enriched({ ...started, data: { ...data, language: 'english!' } }))).toBe(
      'invalid-field data.language',
    );
    expect(
      reasonOf(enriched({ type: 'stream.updated', occurredAt: 1, data: { streamId: 'st1', category: 7 } })),
    ).toBe('invalid-field data.category');
    expect(reasonOf(enriched({ type: 'bid.placed', occurredAt: 1, data: { streamId: 'st1' } }))).toBe(
      'invalid-field data.userId',
    );
    expect(reasonOf(enriched({ type: 'user.erased', occurredAt: 1, data: {} }))).toBe(
      'invalid-field data.userId',
    );
  });

  it('refuses oversized records before parsing them', () => {
    expect(reasonOf(Buffer.alloc(200 * 1024, 0x20))).toBe('too-large ');
  });
});
