import { TransportHealth } from '@app/kafka';
import { aggregatorConsumerCheck } from './consumer-readiness';

const healthy: TransportHealth = {
  joined: true,
  crashed: false,
  lastBatchAt: 1,
  assigned: [{ topic: 't', partitions: [0, 1] }],
  lag: [{ topic: 't', partition: 0, lag: 3 }],
  paused: false,
  failing: [],
};

describe('aggregatorConsumerCheck', () => {
  it('is ready when joined, with partitions and lag', async () => {
    await expect(aggregatorConsumerCheck(() => healthy).check()).resolves.toEqual({ partitions: 2, lag: 3 });
  });

  it('is not ready when not joined or stuck retrying', async () => {
    await expect(aggregatorConsumerCheck(() => ({ ...healthy, joined: false })).check()).rejects.toThrow(
      'not joined',
    );
    const failing = [{ topic: 't', partition: 1, attempts: 3, lastError: 'Redis down' }];
    await expect(aggregatorConsumerCheck(() => ({ ...healthy, failing })).check()).rejects.toThrow(
      't[1]: Redis down',
    );
  });
});
