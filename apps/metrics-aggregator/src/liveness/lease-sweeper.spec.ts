import { TransportHealth } from '@app/kafka';
import { DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { InMemoryAggregateStateRepository } from '../state/in-memory-aggregate-state.repository';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { RecordingProducer } from '@app/testing';
import { expiredEventId } from './expired-event-id';
import { LeaseSweeper } from './lease-sweeper';

const T0 = Date.UTC(2026, 10, 26, 12);

describe('LeaseSweeper', () => {
  it('writes a deterministic stream.expired for silent streams of owned, caught-up partitions only', async () => {
    const repo = new InMemoryAggregateStateRepository(DEFAULT_AGGREGATOR_SETTINGS);
    const applier = new BatchApplier(new BatchFoldService(DEFAULT_AGGREGATOR_SETTINGS), repo);
    const f = new EnrichedEventFactory();
    await applier.apply('enriched', 0, [
      { offset: '0', event: f.started('quiet', T0) },
      { offset: '1', event: f.started('busy', T0) },
      { offset: '2', event: f.event('stream.heartbeat', T0 + 50_000, { streamId: 'busy' }) },
    ]);
    await applier.apply('enriched', 1, [{ offset: '0', event: f.started('other', T0) }]);
    let health: TransportHealth = {
      joined: true,
      crashed: false,
      lastBatchAt: T0,
      assigned: [{ topic: 'enriched', partitions: [0] }],
      lag: [{ topic: 'enriched', partition: 0, lag: 4 }],
      paused: false,
      failing: [],
    };
    const producer = new RecordingProducer();
    let now = T0 + 61_000;
    const sweeper = new LeaseSweeper(
      repo,
      producer,
      () => health,
      { enrichedTopic: 'enriched', rawTopic: 'raw', streamLeaseMs: 60_000, sweepIntervalMs: 5_000 },
      () => now,
    );
    expect(await sweeper.sweep()).toBe(0); // behind: a heartbeat may be on its way
    health = { ...health, lag: [{ topic: 'enriched', partition: 0, lag: 0 }] };
    expect(await sweeper.sweep()).toBe(1);
    expect(producer.sent[0].message.key).toBe('quiet');
    expect(producer.values('raw')).toEqual([
      {
        eventId: expiredEventId('quiet', T0),
        type: 'stream.expired',
        schemaVersion: 1,
        occurredAt: T0 + 60_000,
        data: { streamId: 'quiet' },
      },
    ]);
    now = T0 + 111_000;
    expect(await sweeper.sweep()).toBe(2);
    expect(producer.values('raw')[2]).toMatchObject({ eventId: expiredEventId('busy', T0 + 50_000) });
  });
});
