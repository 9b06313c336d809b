import { KafkaConnectionOptions, createKafka } from '@app/kafka';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { InProcessVectorStore, type InProcessVectorStoreOptions } from '../in-process-vector-store.adapter';
import type { VectorPoint } from '../vector-store.interface';
import { InvalidEmbeddingRecordError, decodeStreamVectorRecord } from './embedding-record.codec';

export interface StreamReplicaOptions {
  kafka: KafkaConnectionOptions;
  /** The compacted stream-vector feed, e.g. `nowcast.embeddings.streams.v1`. */
  topic: string;
  dimension: number;
  /** Prefix of the throwaway consumer group (a fresh UUID is appended; nothing is ever committed). */
  groupIdPrefix?: string;
  /** Longest the broker holds an empty fetch, ms: the replica's latency floor. Default 5. */
  maxWaitTimeMs?: number;
  /** Options of the in-process store (exact/HNSW threshold, indexed fields...). */
  store?: Omit<InProcessVectorStoreOptions, 'dimension'>;
}

/** One applied change, for observers (latency benchmarks, caches). */
export interface ReplicaChange {
  streamId: string;
  deleted: boolean;
  /** Record timestamp (producer create time), epoch ms. */
  producedAt: number;
}

export interface StreamReplicaHealth {
  running: boolean;
  caughtUp: boolean;
  points: number;
  /** Records skipped because they could not be decoded. */
  invalid: number;
  /** Partitions still behind the high watermarks seen at start. */
  behind: number[];
}

/**
 * Every live stream vector in this process: reads the whole compacted feed from the beginning of
 * every partition with a throwaway consumer group (unique id, no commits), so each reader holds
 * the whole live set. Upserts for records, deletes for tombstones. Caught up once every partition
 * reached the high watermark it had at start; the recommender is ready only from then on.
 * Searches go to `store` (an InProcessVectorStore).
 */
export class StreamReplica {
  readonly store: InProcessVectorStore;
  readonly groupId: string;
  private consumer: Consumer | null = null;
  private admin: Admin | null = null;
  private readonly targets = new Map<number, number>();
  private running = false;
  private invalid = 0;
  private readonly listeners: ((changes: readonly ReplicaChange[]) => void)[] = [];
  private caughtUpWaiters: (() => void)[] = [];

  constructor(private readonly options: StreamReplicaOptions) {
    this.store = new InProcessVectorStore({ ...options.store, dimension: options.dimension });
    this.groupId = `${options.groupIdPrefix ?? 'stream-replica'}-${randomUUID()}`;
  }

  get caughtUp(): boolean {
    return this.running && this.targets.size === 0;
  }

  health(): StreamReplicaHealth {
    return {
      running: this.running,
      caughtUp: this.caughtUp,
      points: this.store.stats().points,
      invalid: this.invalid,
      behind: [...this.targets.keys()].sort((a, b) => a - b),
    };
  }

  /** Called after each applied batch (synchronously; keep it cheap). */
  onChange(listener: (changes: readonly ReplicaChange[]) => void): void {
    this.listeners.push(listener);
  }

  /** Connects and starts reading; resolves once consuming (not once caught up: see waitUntilCaughtUp). */
  async start(): Promise<void> {
    const kafka = createKafka(this.options.kafka, 'stream-replica');
    this.admin = kafka.admin();
    await this.admin.connect();
    for (const p of await this.admin.fetchTopicOffsets(this.options.topic)) {
      // an empty partition (high == low) is caught up from the start
      if (Number(p.high) > Number(p.low)) this.targets.set(p.partition, Number(p.high));
    }
    this.consumer = kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 5,
      allowAutoTopicCreation: false,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.apply(payload),
    });
    this.running = true;
    this.notifyIfCaughtUp();
  }

  /** Resolves true once caught up, false after `timeoutMs`. */
  waitUntilCaughtUp(timeoutMs: number): Promise<boolean> {
    if (this.caughtUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.caughtUpWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Stops reading and removes the throwaway group from the broker. */
  async stop(): Promise<void> {
    this.running = false;
    await this.consumer?.disconnect();
    this.consumer = null;
    if (this.admin) {
      await this.admin.deleteGroups([this.groupId]).catch(() => undefined);
      await this.admin.disconnect();
      this.admin = null;
    }
  }

  private async apply({ batch }: EachBatchPayload): Promise<void> {
    // last record per key wins within the batch (same semantics as compaction)
    const latest = new Map<string, { point: VectorPoint | null; producedAt: number }>();
    for (const message of batch.messages) {
      if (!message.key) continue;
      const streamId = message.key.toString('utf8');
      const producedAt = Number(message.timestamp);
      if (message.value === null || message.value.length === 0) {
        latest.set(streamId, { point: null, producedAt });
        continue;
      }
      try {
        const record = decodeStreamVectorRecord(message.value, this.options.dimension);
        latest.set(streamId, {
          point: { id: streamId, vector: record.vector, payload: record.payload },
          producedAt,
        });
      } catch (error) {
        if (!(error instanceof InvalidEmbeddingRecordError)) throw error;
        this.invalid++;
      }
    }
    const upserts: VectorPoint[] = [];
    const deletes: string[] = [];
    const changes: ReplicaChange[] = [];
    for (const [streamId, { point, producedAt }] of latest) {
      if (point) upserts.push(point);
      else deletes.push(streamId);
      changes.push({ streamId, deleted: point === null, producedAt });
    }
    if (deletes.length > 0) await this.store.delete(deletes);
    if (upserts.length > 0) await this.store.upsert(upserts);
    const last = batch.messages.at(-1);
    const target = this.targets.get(batch.partition);
    if (last && target !== undefined && Number(last.offset) + 1 >= target) {
      this.targets.delete(batch.partition);
      this.notifyIfCaughtUp();
    }
    for (const listener of this.listeners) listener(changes);
  }

  private notifyIfCaughtUp(): void {
    if (!this.caughtUp) return;
    const waiters = this.caughtUpWaiters;
    this.caughtUpWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
