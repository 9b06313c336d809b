import { ICustomPartitioner, PartitionerArgs, Partitioners } from 'kafkajs';

/** Distinct string keys remembered per topic before the memo starts over (~100 B each). */
const MAX_MEMOIZED_KEYS = 50_000;

interface TopicMemo {
  partitionCount: number;
  partitions: Map<string, number>;
}

/**
 * kafkajs' DefaultPartitioner (Java's murmur2 one: the same key lands on the same partition as
 * with any Kafka client) with its per-message overhead taken out: it filters the partition metadata
 * into a new array and hashes the key again for every message. Here an explicit `partition` is
 * returned at once, and a string key's partition is remembered per topic and partition count
 * (pipeline keys are stream ids: few distinct, many messages each). Buffer keys and keyless
 * messages (round robin) go to kafkajs' own partitioner unchanged.
 */
export const MemoizedDefaultPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  const memos = new Map<string, TopicMemo>();
  return (args: PartitionerArgs): number => {
    const { message, topic, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (typeof key !== 'string') return fallback(args);
    let memo = memos.get(topic);
    if (
      !memo ||
      memo.partitionCount !== partitionMetadata.length ||
      memo.partitions.size >= MAX_MEMOIZED_KEYS
    ) {
      memo = { partitionCount: partitionMetadata.length, partitions: new Map() };
      memos.set(topic, memo);
    }
    let partition = memo.partitions.get(key);
    if (partition === undefined) {
      partition = fallback(args);
      memo.partitions.set(key, partition);
    }
    return partition;
  };
};
