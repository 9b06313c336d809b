import { Consumer, Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/** Epoch ms with sub-ms resolution (comparable with Kafka record timestamps, which are epoch ms). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** One sighting of a probe stream's record on a topic: when the tracer saw it, the record's CreateTime. */
export interface Sighting {
  /** Epoch ms the tracer's consumer got it. */
  seenAt: number;
  /** The record's timestamp (producer CreateTime), epoch ms. */
  recordAt: number;
  /** Event type for raw/enriched records ('' for change-feed records). */
  type: string;
}

export interface TracedTopic {
  /** Hop name, e.g. 'raw', 'enriched-committed'. */
  name: string;
  topic: string;
  /** READ_COMMITTED readers see a transactional write only after its commit marker (LSO). */
  readCommitted: boolean;
  /** Raw/enriched carry the envelope (its type is recorded); change-feed records do not. */
  envelope: boolean;
}

/**
 * Kafka consumers (throwaway groups, latest offsets, tiny maxWait) that note when each record of a
 * probe stream (key starts with `keyPrefix`) becomes visible on each traced topic, at which
 * isolation level, and with which record timestamp. Runs in the bench process.
 */
export class HopTracer {
  private readonly consumers: Consumer[] = [];
  private readonly groups: string[] = [];
  /** hop name -> stream id -> sightings in arrival order */
  private readonly seen = new Map<string, Map<string, Sighting[]>>();

  constructor(
    private readonly brokers: string[],
    private readonly topics: TracedTopic[],
    private readonly keyPrefix: string,
  ) {}

  async start(): Promise<void> {
    const kafka = new Kafka({ brokers: this.brokers, clientId: 'nowcast-hops', logLevel: logLevel.WARN });
    for (const traced of this.topics) {
      const groupId = `hops-${traced.name}-${randomUUID().slice(0, 8)}`;
      this.groups.push(groupId);
      const byStream = new Map<string, Sighting[]>();
      this.seen.set(traced.name, byStream);
      const consumer = kafka.consumer({
        groupId,
        maxWaitTimeInMs: 100, // answered at once when a record arrives; bounds idle polling only
        readUncommitted: !traced.readCommitted,
        allowAutoTopicCreation: false,
      });
      this.consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic: traced.topic, fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 8,
        eachBatch: async ({ batch }) => {
          const seenAt = nowMs();
          for (const m of batch.messages) {
            const key = m.key?.toString('utf8');
            if (!key?.startsWith(this.keyPrefix)) continue;
            const type = traced.envelope && m.value ? typeOf(m.value) : '';
            const list = byStream.get(key) ?? [];
            list.push({ seenAt, recordAt: Number(m.timestamp), type });
            byStream.set(key, list);
          }
          await Promise.resolve();
        },
      });
    }
    // a fresh group starts at the latest offsets only once it has joined and fetched once
    await new Promise((resolve) => setTimeout(resolve, 1_500));
  }

  /** The first sighting of `streamId` on hop `name` that matches `type` (any type when ''). */
  first(name: string, streamId: string, type: string): Sighting | undefined {
    const list = this.seen.get(name)?.get(streamId) ?? [];
    return list.find((s) => type === '' || s.type === type);
  }

  /** Change-feed records carry no type: the first one seen at/after `sinceMs`. */
  firstSince(name: string, streamId: string, sinceMs: number): Sighting | undefined {
    const list = this.seen.get(name)?.get(streamId) ?? [];
    return list.find((s) => s.seenAt >= sinceMs);
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.disconnect().catch(() => undefined)));
    const kafka = new Kafka({ brokers: this.brokers, clientId: 'nowcast-hops', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups(this.groups).catch(() => undefined);
    await admin.disconnect();
  }
}

function typeOf(value: Buffer): string {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as { type?: unknown };
    return typeof parsed.type === 'string' ? parsed.type : '';
  } catch {
    return '';
  }
}
