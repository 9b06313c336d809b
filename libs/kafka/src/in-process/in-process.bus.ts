import { PartitionMetadata, Partitioners } from 'kafkajs';
import { OutboundMessage } from '../batch.types';

/** A record as the in-process bus stores it (offset = index in its partition). */
export interface StoredMessage {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Append time, epoch ms. */
  timestamp: number;
}

export interface TopicWrite {
  topic: string;
  messages: OutboundMessage[];
}

export interface OffsetCommit {
  groupId: string;
  topic: string;
  partition: number;
  /** Next offset to consume. */
  offset: number;
}

export interface InProcessBusOptions {
  /** Partitions of a topic created implicitly by its first producer or consumer. Default 6. */
  defaultPartitions?: number;
}

const toBuffer = (value: string | Buffer | null): Buffer | null =>
  value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');

/**
 * Kafka's semantics in memory for the one-process mode and handler tests: topics with N partitions,
 * keys placed by Kafka's own murmur2 partitioner (so a key lands on the same partition number as on
 * the broker), append-only logs, committed offsets per consumer group and partition, and atomic
 * "transactions" (writes + offset commit applied together or not at all).
 */
export class InProcessBus {
  private readonly logs = new Map<string, StoredMessage[][]>();
  private readonly committed = new Map<string, number>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly members = new Map<string, object>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly defaultPartitions: number;

  constructor(options: InProcessBusOptions = {}) {
    this.defaultPartitions = options.defaultPartitions ?? 6;
  }

  /** Idempotent; a different partition count for an existing topic is an error (it would remap keys). */
  createTopic(topic: string, partitions: number): void {
    const existing = this.logs.get(topic);
    if (existing && existing.length !== partitions) {
      throw new Error(`Topic ${topic} exists with ${existing.length} partitions, not ${partitions}`);
    }
    if (!existing)
      this.logs.set(
        topic,
        Array.from({ length: partitions }, () => []),
      );
  }

  partitionCount(topic: string): number {
    return this.log(topic).length;
  }

  produce(topic: string, messages: OutboundMessage[]): void {
    this.commit([{ topic, messages }]);
  }

  /** Appends every write and commits the offset as one atomic step (nothing happens if any write is invalid). */
  commit(writes: TopicWrite[], offset?: OffsetCommit): void {
    const placed = writes.flatMap(({ topic, messages }) =>
      messages.map((message) => ({ topic, partition: this.partitionFor(topic, message), message })),
    );
    const now = Date.now();
    const touched = new Set<string>();
    for (const { topic, partition, message } of placed) {
      const log = this.log(topic)[partition];
      log.push({
        offset: log.length,
        key: toBuffer(message.key),
        value: toBuffer(message.value),
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, value.toString()]),
        ),
        timestamp: now,
      });
      touched.add(topic);
    }
    if (offset)
      this.committed.set(this.offsetKey(offset.groupId, offset.topic, offset.partition), offset.offset);
    for (const topic of touched) this.listeners.get(topic)?.forEach((listener) => listener());
  }

  read(topic: string, partition: number, fromOffset: number, maxMessages: number): StoredMessage[] {
    return this.log(topic)[partition].slice(fromOffset, fromOffset + maxMessages);
  }

  highWatermark(topic: string, partition: number): number {
    return this.log(topic)[partition].length;
  }

  committedOffset(groupId: string, topic: string, partition: number): number | null {
    return this.committed.get(this.offsetKey(groupId, topic, partition)) ?? null;
  }

  /** Called after every append to `topic`; returns the unsubscribe function. */
  onAppend(topic: string, listener: () => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** The bus has no rebalancing: one consuming member per group. Returns the release function. */
  joinGroup(groupId: string, member: object): () => void {
    const current = this.members.get(groupId);
    if (current && current !== member)
      throw new Error(`Consumer group ${groupId} already has a member in this process`);
    this.members.set(groupId, member);
    return () => {
      if (this.members.get(groupId) === member) this.members.delete(groupId);
    };
  }

  private partitionFor(topic: string, message: OutboundMessage): number {
    const count = this.partitionCount(topic);
    if (message.partition !== undefined) {
      if (!Number.isInteger(message.partition) || message.partition < 0 || message.partition >= count) {
        throw new RangeError(
          `Partition ${message.partition} does not exist in ${topic} (${count} partitions)`,
        );
      }
      return message.partition;
    }
    const partitionMetadata: PartitionMetadata[] = Array.from({ length: count }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
    return this.partitioner({
      topic,
      partitionMetadata,
      message: { key: message.key, value: message.value },
    });
  }

  private log(topic: string): StoredMessage[][] {
    let log = this.logs.get(topic);
    if (!log) {
      log = Array.from({ length: this.defaultPartitions }, (): StoredMessage[] => []);
      this.logs.set(topic, log);
    }
    return log;
  }

  private offsetKey(groupId: string, topic: string, partition: number): string {
    return `${groupId}\u0000${topic}\u0000${partition}`;
  }
}
