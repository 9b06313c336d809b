import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidMessageError } from '../events/invalid-message.error';
import { parseStreamLifecycle } from './stream-lifecycle';

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(join(__dirname, '../../fixtures/stream-lifecycle.v1', `${name}.json`), 'utf8'),
  ) as Record<string, unknown>;

function issuesOf(input: unknown): string[] {
  try {
    parseStreamLifecycle(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidMessageError);
    return [...new Set((error as InvalidMessageError).issues.map((issue) => issue.path))];
  }
  throw new Error('expected the record to be refused');
}

describe('parseStreamLifecycle', () => {
  it('reads the golden start and end records as they are', () => {
    for (const name of ['started', 'ended']) {
      const plain = fixture(name);
      expect(parseStreamLifecycle(JSON.stringify(plain))).toEqual(plain);
    }
  });

  it('reads an end without the run it ends (the enricher never saw the start)', () => {
    const { startedAt: _startedAt, ...withoutStart } = fixture('ended');
    expect(parseStreamLifecycle(withoutStart)).toEqual(withoutStart);
  });

  it("drops unknown fields and the other kind's fields", () => {
    const live = { ...fixture('started'), endedAt: 5, endReason: 'ended', extra: 1 };
    expect(parseStreamLifecycle(live)).toEqual(fixture('started'));
    const ended = { ...fixture('ended'), sellerId: 'seller-7', title: 'x' };
    expect(parseStreamLifecycle(ended)).toEqual(fixture('ended'));
  });

  it('names the path of every field a start is missing or has wrong', () => {
    const { sellerId: _sellerId, ...live } = fixture('started');
    expect(issuesOf({ ...live, startedAt: -1, language: 'english!' }).sort()).toEqual([
      'language',
      'sellerId',
      'startedAt',
    ]);
  });

  it('names the path of every field an end is missing or has wrong', () => {
    const { endedAt: _endedAt, ...ended } = fixture('ended');
    expect(issuesOf({ ...ended, endReason: 'expired' }).sort()).toEqual(['endReason', 'endedAt']);
  });

  it('refuses another schema version, a missing kind and text that is not JSON', () => {
    expect(issuesOf({ ...fixture('started'), schemaVersion: 2 })).toEqual(['schemaVersion']);
    const { live: _live, ...noKind } = fixture('ended');
    expect(issuesOf(noKind)).toContain('live');
    expect(() => parseStreamLifecycle('{not json')).toThrow(InvalidMessageError);
  });
});
