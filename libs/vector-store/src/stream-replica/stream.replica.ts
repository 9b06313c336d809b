import { CompactedRecord, CompactedTopicReader, KafkaConnectionOptions } from '@app/kafka';
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
  private readonly reader: CompactedTopicReader;
  private invalid = 0;
  private readonly listeners: ((changes: readonly ReplicaChange[]) => void)[] = [];

  constructor(private readonly options: StreamReplicaOptions) {
    this.store = new InProcessVectorStore({ ...options.store, dimension: options.dimension });
    this.reader = new CompactedTopicReader(
      {
        kafka: options.kafka,
        topic: options.topic,
        groupIdPrefix: options.groupIdPrefix ?? 'stream-replica',
        maxWaitTimeMs: options.maxWaitTimeMs,
      },
      (records) => this.apply(records),
    );
  }

  /** The throwaway consumer group (a fresh UUID per replica; nothing is ever committed). */
  get groupId(): string {
    return this.reader.groupId;
  }

  get caughtUp(): boolean {
    return this.reader.caughtUp;
  }

  health(): StreamReplicaHealth {
    return {
      running: this.reader.isRunning,
      caughtUp: this.caughtUp,
      points: this.store.stats().points,
      invalid: this.invalid,
      behind: this.reader.behind(),
    };
  }

  /** Called after each applied batch (synchronously; keep it cheap). */
  onChange(listener: (changes: readonly ReplicaChange[]) => void): void {
    this.listeners.push(listener);
  }

  /** Connects and starts reading; resolves once consuming (not once caught up: see waitUntilCaughtUp). */
  start(): Promise<void> {
    return this.reader.start();
  }

  /** Resolves true once caught up, false after `timeoutMs`. */
  waitUntilCaughtUp(timeoutMs: number): Promise<boolean> {
    return this.reader.waitUntilCaughtUp(timeoutMs);
  }

  /** Stops reading and removes the throwaway group from the broker. */
  stop(): Promise<void> {
    return this.reader.stop();
  }

  private async apply(records: readonly CompactedRecord[]): Promise<void> {
    // last record per key wins within the batch (same semantics as compaction)
    const latest = new Map<string, { point: VectorPoint | null; producedAt: number }>();
    for (const { key: streamId, value, timestamp: producedAt } of records) {
      if (value === null || value.length === 0) {
        latest.set(streamId, { point: null, producedAt });
        continue;
      }
      try {
        const record = decodeStreamVectorRecord(value, this.options.dimension);
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
    for (const listener of this.listeners) listener(changes);
  }
}
