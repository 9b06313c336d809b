import { DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { InMemoryAggregateStateRepository } from '../state/in-memory-aggregate-state.repository';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { IdleUserSweeper } from './idle-user.sweeper';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 10, 1, 12);

async function seeded(userTtlSec: number) {
  const settings = { ...DEFAULT_AGGREGATOR_SETTINGS, userTtlSec };
  const repo = new InMemoryAggregateStateRepository(settings);
  const applier = new BatchApplier(new BatchFoldService(settings), repo);
  const f = new EnrichedEventFactory('idle');
  const join = (userId: string, t: number) => f.event('view.started', t, { userId, streamId: 's1' });
  // three users last seen on day 0 (two of them) and day 20
  await applier.apply('enriched', 0, [
    { offset: '0', event: f.started('s1', T0) },
    { offset: '1', event: join('u1', T0 + 1_000) },
    { offset: '2', event: join('u2', T0 + 2_000) },
  ]);
  await applier.apply('enriched', 0, [{ offset: '3', event: join('u3', T0 + 20 * DAY_MS) }]);
  return repo;
}

const recentOf = async (repo: InMemoryAggregateStateRepository, userId: string) =>
  (await repo.readUser(userId)).recent.length;

describe('IdleUserSweeper', () => {
  it('deletes the engagement of the users idle for the TTL, in calls of usersPerCall', async () => {
    const repo = await seeded(30 * 86_400);
    let now = T0 + 29 * DAY_MS;
    const swept: number[] = [];
    const sweeper = new IdleUserSweeper(
      repo,
      { userTtlSec: 30 * 86_400, intervalMs: 1_000, usersPerCall: 1, onSwept: (n) => swept.push(n) },
      () => now,
    );
    expect(await sweeper.sweep()).toBe(0);
    now = T0 + 31 * DAY_MS;
    expect(await sweeper.sweep()).toBe(2);
    expect(swept).toEqual([2]);
    expect([await recentOf(repo, 'u1'), await recentOf(repo, 'u2'), await recentOf(repo, 'u3')]).toEqual([
      0, 0, 1,
    ]);
    now = T0 + 51 * DAY_MS;
    expect(await sweeper.sweep()).toBe(1);
    expect(await sweeper.sweep()).toBe(0);
  });

  it('makes at most maxCallsPerSweep calls, and the next sweep goes on', async () => {
    const repo = await seeded(86_400);
    const now = T0 + 60 * DAY_MS;
    const sweeper = new IdleUserSweeper(
      repo,
      { userTtlSec: 86_400, intervalMs: 1_000, usersPerCall: 1, maxCallsPerSweep: 2 },
      () => now,
    );
    expect(await sweeper.sweep()).toBe(2);
    expect(await sweeper.sweep()).toBe(1);
  });

  it('never sweeps with USER_ENGAGEMENT_TTL_SEC=0', async () => {
    const repo = await seeded(0);
    const sweeper = new IdleUserSweeper(repo, { userTtlSec: 0, intervalMs: 1_000 }, () => T0 + 400 * DAY_MS);
    expect(await sweeper.sweep()).toBe(0);
    expect(await recentOf(repo, 'u1')).toBe(1);
  });
});
