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
  /** Append time of the records, epoch ms. Default Date.now. */
  clock?: () => number;
}

/**
 * What a topic keeps, as Kafka's cleanup.policy and retention.ms: records older than `retentionMs`
 * go - all of them, or, `compacted`, all but the last one per key (a tombstone goes too). Without a
 * retention a topic keeps everything (a process that runs for hours then grows without end).
 */
export interface InProcessTopicPolicy {
  retentionMs?: number;
  compacted?: boolean;
}

/** One partition's log: records by ascending offset, with gaps where records were dropped. */
interface PartitionLog {
  messages: StoredMessage[];
  /** The offset the next record gets (the high watermark). */
  next: number;
  /** Compacted topics: each key's latest offset. */
  latest: Map<string, number> | null;
  /** When its old records were last dropped, epoch ms. */
  cleanedAt: number;
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
  private readonly logs = new Map<string, PartitionLog[]>();
  private readonly policies = new Map<string, InProcessTopicPolicy>();
  private readonly committed = new Map<string, number>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly members = new Map<string, object>();
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly defaultPartitions: number;
  private readonly clock: () => number;

  constructor(options: InProcessBusOptions = {}) {
    this.defaultPartitions = options.defaultPartitions ?? 6;
    this.clock = options.clock ?? Date.now;
  }

  /** Idempotent; a different partition count for an existing topic is an error (it would remap keys). */
  createTopic(topic: string, partitions: number, policy: InProcessTopicPolicy = {}): void {
    const existing = this.logs.get(topic);
    if (existing && existing.length !== partitions) {
      throw new Error(`Topic ${topic} exists with ${existing.length} partitions, not ${partitions}`);
    }
    this.policies.set(topic, policy);
    if (!existing) this.logs.set(topic, this.newPartitions(topic, partitions));
    else if (policy.compacted) for (const log of existing) log.latest ??= latestOffsets(log.messages);
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
    const now = this.clock();
    const touched = new Set<string>();
    for (const { topic, partition, message } of placed) {
      const log = this.log(topic)[partition];
      const stored: StoredMessage = {
        offset: log.next++,
        key: toBuffer(message.key),
        value: toBuffer(message.value),
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([name, value]) => [name, value.toString()]),
        ),
        timestamp: now,
      };
      log.messages.push(stored);
      if (log.latest && stored.key) log.latest.set(stored.key.toString('latin1'), stored.offset);
      touched.add(topic);
    }
    for (const topic of touched) this.dropExpired(topic, now);
    if (offset)
      this.committed.set(this.offsetKey(offset.groupId, offset.topic, offset.partition), offset.offset);
    for (const topic of touched) this.listeners.get(topic)?.forEach((listener) => listener());
  }

  /**
   * Up to `maxMessages` records from `fromOffset` on (from the oldest kept one when `fromOffset`
   * was dropped, as Kafka's earliest reset). Offsets may have gaps: go on after the last one read.
   */
  read(topic: string, partition: number, fromOffset: number, maxMessages: number): StoredMessage[] {
    const { messages } = this.log(topic)[partition];
    const from = firstAtOrAfter(messages, fromOffset);
    return messages.slice(from, from + maxMessages);
  }

  highWatermark(topic: string, partition: number): number {
    return this.log(topic)[partition].next;
  }

  /** Records a partition keeps (what its policy has not dropped yet). */
  keptMessages(topic: string, partition: number): number {
    return this.log(topic)[partition].messages.length;
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

  private log(topic: string): PartitionLog[] {
    let log = this.logs.get(topic);
    if (!log) {
      log = this.newPartitions(topic, this.defaultPartitions);
      this.logs.set(topic, log);
    }
    return log;
  }

  private newPartitions(topic: string, count: number): PartitionLog[] {
    const compacted = this.policies.get(topic)?.compacted === true;
    return Array.from({ length: count }, () => ({
      messages: [],
      next: 0,
      latest: compacted ? new Map<string, number>() : null,
      cleanedAt: this.clock(),
    }));
  }

  /**
   * Drops the records past the topic's retention, at most every tenth of it per partition (so a
   * record stays up to 1.1 times the retention, as Kafka's segments make it stay longer too).
   */
  private dropExpired(topic: string, now: number): void {
    const retentionMs = this.policies.get(topic)?.retentionMs;
    if (retentionMs === undefined) return;
    const cutoff = now - retentionMs;
    for (const log of this.log(topic)) {
      if (now - log.cleanedAt < retentionMs / 10) continue;
      log.cleanedAt = now;
      // append times only grow, so the expired records are a prefix
      let expired = 0;
      while (expired < log.messages.length && log.messages[expired].timestamp < cutoff) expired++;
      if (expired === 0) continue;
      const kept: StoredMessage[] = [];
      // compacted: a key's last record stays; a superseded one goes, and so does an old tombstone
      for (const m of log.latest ? log.messages.slice(0, expired) : []) {
        const key = m.key?.toString('latin1');
        if (key === undefined || log.latest?.get(key) !== m.offset) continue;
        if (m.value !== null) kept.push({ ...m, key: ownedCopy(m.key), value: ownedCopy(m.value) });
        else log.latest?.delete(key);
      }
      log.messages = kept.concat(log.messages.slice(expired));
    }
  }

  private offsetKey(groupId: string, topic: string, partition: number): string {
    return `${groupId}\u0000${topic}\u0000${partition}`;
  }
}

/**
 * `buffer` in memory of its own. A small Buffer is a view of an 8 KiB pool slab shared with
 * other records, so a record kept for good (a key's last one) would keep its whole slab: ~10 times
 * its size in the one-process demo's change feeds.
 */
function ownedCopy(buffer: Buffer | null): Buffer | null {
  if (buffer === null || buffer.byteLength === buffer.buffer.byteLength) return buffer;
  const copy = Buffer.allocUnsafeSlow(buffer.byteLength);
  buffer.copy(copy);
  return copy;
}

/** The index of the first record at or after `offset` (messages sorted by offset). */
function firstAtOrAfter(messages: readonly StoredMessage[], offset: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (messages[mid].offset < offset) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Each key's latest offset in `messages`. */
function latestOffsets(messages: readonly StoredMessage[]): Map<string, number> {
  const latest = new Map<string, number>();
  for (const m of messages) if (m.key) latest.set(m.key.toString('latin1'), m.offset);
  return latest;
}
