import { decideDedupe, dedupeMark } from './dedupe.decision';

describe('dedupe decision', () => {
  it('treats a first sighting as new', () => {
    expect(decideDedupe(null, dedupeMark(2, '17'))).toBe('new');
  });

  it('treats its own mark as a redelivery (aborted transaction), not a duplicate', () => {
    expect(decideDedupe('2:17', dedupeMark(2, '17'))).toBe('redelivery');
  });

  it('treats a mark of another position as a client duplicate', () => {
    expect(decideDedupe('2:16', dedupeMark(2, '17'))).toBe('duplicate');
    expect(decideDedupe('3:17', dedupeMark(2, '17'))).toBe('duplicate');
  });
});
