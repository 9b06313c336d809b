import { PartitionMetadata, Partitioners } from 'kafkajs';
import { MemoizedDefaultPartitioner } from './memoized.partitioner';

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));

describe('MemoizedDefaultPartitioner', () => {
  it("picks the same partition as kafkajs' DefaultPartitioner for string and Buffer keys, also when repeated", () => {
    const memoized = MemoizedDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    for (const count of [1, 3, 6, 7, 12]) {
      const partitionMetadata = metadata(count);
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 300; i++) {
          for (const key of [`stream-${i}`, Buffer.from(`user-${i}`), `ünïcode-${i}`]) {
            const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
            expect(memoized(args)).toBe(reference(args));
          }
        }
      }
    }
  });

  it('returns an explicit partition as is', () => {
    const memoized = MemoizedDefaultPartitioner();
    const args = {
      topic: 't',
      partitionMetadata: metadata(6),
      message: { key: 'k', value: 'v', partition: 4 },
    };
    expect(memoized(args)).toBe(4);
  });

  it('spreads keyless messages over the partitions (round robin)', () => {
    const memoized = MemoizedDefaultPartitioner();
    const seen = new Set<number>();
    for (let i = 0; i < 12; i++) {
      seen.add(memoized({ topic: 't', partitionMetadata: metadata(6), message: { key: null, value: 'v' } }));
    }
    expect(seen.size).toBe(6);
  });
});
