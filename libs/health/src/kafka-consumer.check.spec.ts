import { TransportHealth } from '@app/kafka';
import { kafkaConsumerCheck } from './kafka-consumer.check';

const healthy: TransportHealth = {
  joined: true,
  crashed: false,
  lastBatchAt: 1,
  assigned: [{ topic: 't', partitions: [0, 1] }],
  lag: [{ topic: 't', partition: 0, lag: 3 }],
  paused: false,
  failing: [],
};

describe('kafkaConsumerCheck', () => {
  it('is ready when joined, with partitions and lag', async () => {
    await expect(kafkaConsumerCheck('consumer', () => healthy).check()).resolves.toEqual({
      partitions: 2,
      lag: 3,
    });
  });

  it('is not ready when not joined or stuck retrying', async () => {
    await expect(
      kafkaConsumerCheck('consumer', () => ({ ...healthy, joined: false })).check(),
    ).rejects.toThrow('not joined');
    const failing = [{ topic: 't', partition: 1, attempts: 3, lastError: 'Redis down' }];
    await expect(kafkaConsumerCheck('consumer', () => ({ ...healthy, failing })).check()).rejects.toThrow(
      't[1]: Redis down',
    );
  });
});
