import { dot, norm } from '@app/embeddings';
import { UserVectorService } from './user-vector.service';

const HOUR = 3600_000;
const x = Float32Array.from([1, 0, 0]);
const y = Float32Array.from([0, 1, 0]);

describe('UserVectorService', () => {
  it('weights engagements by action: a purchase outweighs a view', () => {
    const users = new UserVectorService(3, HOUR);
    users.engage('u', 'view.started', x, 0);
    users.engage('u', 'purchase.completed', y, 0);
    const v = users.vectorOf('u')!;
    // weights 1 and 5: direction (1, 5) / sqrt(26)
    expect(v[0]).toBeCloseTo(1 / Math.sqrt(26), 6);
    expect(v[1]).toBeCloseTo(5 / Math.sqrt(26), 6);
    expect(norm(v)).toBeCloseTo(1, 6);
  });

  it('decays older engagements with the half-life (event time)', () => {
    const users = new UserVectorService(3, HOUR);
    users.engage('u', 'view.started', x, 0);
    users.engage('u', 'view.started', y, 2 * HOUR);
    const v = users.vectorOf('u')!;
    // x decayed to 1/4 after two half-lives: direction (0.25, 1)
    expect(v[0] / v[1]).toBeCloseTo(0.25, 6);
  });

  it('moves toward what the user engages with', () => {
    const users = new UserVectorService(3, HOUR);
    users.engage('u', 'view.started', x, 0);
    const before = dot(users.vectorOf('u')!, y);
    users.engage('u', 'bid.placed', y, 60_000);
    expect(dot(users.vectorOf('u')!, y)).toBeGreaterThan(before + 0.5);
  });

  it('stays finite over very long gaps and forgets erased users', () => {
    const users = new UserVectorService(3, 1);
    users.engage('u', 'view.started', x, 0);
    users.engage('u', 'view.started', y, 1e15);
    expect(Array.from(users.vectorOf('u')!)).toEqual([0, 1, 0]);
    expect(users.erase('u')).toBe(true);
    expect(users.vectorOf('u')).toBeUndefined();
  });

  it('drops users idle for longer than idleMs of event time, and only those', () => {
    const users = new UserVectorService(3, HOUR, undefined, 24 * HOUR);
    users.engage('gone', 'view.started', x, 0);
    users.engage('back', 'view.started', x, 0);
    users.engage('back', 'chat.message', y, 20 * HOUR);
    const dropped: string[] = [];
    expect(users.sweepIdle(24 * HOUR + 1, (id) => dropped.push(id))).toBe(1);
    expect(dropped).toEqual(['gone']);
    expect(users.has('gone')).toBe(false);
    expect(users.vectorOf('back')).toBeDefined();
    // a dropped user who comes back starts anew
    users.engage('gone', 'view.started', y, 30 * HOUR);
    expect(Array.from(users.vectorOf('gone')!)).toEqual([0, 1, 0]);
  });

  it("gives a dropped user's slot to the next user from zero, whose first vector is always published", () => {
    const users = new UserVectorService(3, HOUR, undefined, HOUR);
    users.engage('a', 'purchase.completed', x, 0);
    expect(Array.from(users.publishableVectorOf('a') as Float32Array)).toEqual([1, 0, 0]);
    expect(users.sweepIdle(2 * HOUR)).toBe(1);
    users.engage('b', 'view.started', y, 2 * HOUR);
    expect(Array.from(users.vectorOf('b')!)).toEqual([0, 1, 0]);
    expect(Array.from(users.publishableVectorOf('b') as Float32Array)).toEqual([0, 1, 0]);
    expect(users.sweepIdle(4 * HOUR)).toBe(1);
    // the slot still holds b's published vector: c's equal one is new to readers all the same
    users.engage('c', 'view.started', y, 4 * HOUR);
    expect(Array.from(users.publishableVectorOf('c', 0.5) as Float32Array)).toEqual([0, 1, 0]);
    expect(users.publishableVectorOf('c', 0.5)).toBe('unchanged');
  });

  it('publishes an unchanged vector again once the user engages republishAfterMs after its last publication', () => {
    const users = new UserVectorService(3, HOUR, undefined, undefined, 10 * HOUR);
    users.engage('u', 'view.started', x, 0);
    expect(users.publishableVectorOf('u', 0.5)).toBeInstanceOf(Float32Array);
    // the same direction again and again: never moved, so only the renewal publishes it
    users.engage('u', 'view.started', x, 9 * HOUR);
    expect(users.publishableVectorOf('u', 0.5)).toBe('unchanged');
    users.engage('u', 'view.started', x, 10 * HOUR);
    expect(Array.from(users.publishableVectorOf('u', 0.5) as Float32Array)).toEqual([1, 0, 0]);
    // counted from that publication, not from the first
    users.engage('u', 'view.started', x, 19 * HOUR);
    expect(users.publishableVectorOf('u', 0.5)).toBe('unchanged');
    // a publication because the vector moved restarts the count as well
    users.engage('u', 'purchase.completed', y, 20 * HOUR);
    expect(users.publishableVectorOf('u', 0.5)).toBeInstanceOf(Float32Array);
    users.engage('u', 'purchase.completed', y, 29 * HOUR);
    expect(users.publishableVectorOf('u', 0.5)).toBe('unchanged');
    // without republishAfterMs an unchanged vector is never due
    const forever = new UserVectorService(3, HOUR);
    forever.engage('u', 'view.started', x, 0);
    forever.publishableVectorOf('u', 0.5);
    forever.engage('u', 'view.started', x, 1e12);
    expect(forever.publishableVectorOf('u', 0.5)).toBe('unchanged');
  });
});
