import { Admin, Kafka, logLevel } from 'kafkajs';
import { OffsetSample, lagSeconds } from './rate-search';

/** A consumer group and the topic it reads. */
export interface WatchedGroup {
  name: string;
  groupId: string;
  topic: string;
  /**
   * The service suffixes the configured id (the embedding-writer's rebuild-on-start joins a fresh
   * `<id>-<epoch ms>` group per boot): watch the newest group named `<groupId>-...`.
   */
  suffixed?: boolean;
}

/** History kept per partition, ms (longer than any lag we care to measure). */
const HISTORY_MS = 180_000;

/**
 * Consumer lag in seconds from the broker's point of view (kafkajs admin): each sample records
 * every watched partition's high watermark; a group's lag on a partition is the age of the
 * oldest message past its committed offset (rate-search.ts lagSeconds).
 */
export class LagMonitor {
  private readonly admin: Admin;
  private readonly history = new Map<string, OffsetSample[]>();
  /** configured id -> the group actually joined (for `suffixed` groups, once it appeared) */
  private readonly resolved = new Map<string, string>();

  constructor(
    brokers: readonly string[],
    private readonly groups: readonly WatchedGroup[],
  ) {
    this.admin = new Kafka({
      brokers: [...brokers],
      clientId: 'nowcast-bench-lag',
      logLevel: logLevel.NOTHING,
    }).admin();
  }

  connect(): Promise<void> {
    return this.admin.connect();
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect();
  }

  /** Samples the watermarks and the committed offsets; per group, the max lag over partitions, s. */
  async sample(): Promise<Record<string, number>> {
    const topics = [...new Set(this.groups.map((g) => g.topic))];
    const now = Date.now();
    const marks = await Promise.all(topics.map((t) => this.admin.fetchTopicOffsets(t)));
    topics.forEach((topic, i) => {
      for (const p of marks[i]) {
        const key = `${topic}/${p.partition}`;
        const list = this.history.get(key) ?? [];
        list.push({ atMs: now, highWatermark: Number(p.high) });
        while (list.length > 2 && list[0].atMs < now - HISTORY_MS) list.shift();
        this.history.set(key, list);
      }
    });
    const lows = new Map<string, number>();
    topics.forEach((topic, i) => marks[i].forEach((p) => lows.set(`${topic}/${p.partition}`, Number(p.low))));
    const result: Record<string, number> = {};
    await Promise.all(
      this.groups.map(async (g) => {
        const groupId = await this.resolve(g);
        const [offsets] = await this.admin.fetchOffsets({ groupId, topics: [g.topic] });
        let max = 0;
        for (const p of offsets.partitions) {
          const key = `${g.topic}/${p.partition}`;
          // -1 = nothing committed yet: everything from the low watermark on is unconsumed
          const committed = Number(p.offset) < 0 ? (lows.get(key) ?? 0) : Number(p.offset);
          max = Math.max(max, lagSeconds(this.history.get(key) ?? [], committed, now));
        }
        result[g.name] = Math.round(max * 1000) / 1000;
      }),
    );
    return result;
  }

  /** The group ids actually in use (for cleanup). */
  async groupIds(): Promise<string[]> {
    return Promise.all(this.groups.map((g) => this.resolve(g)));
  }

  private async resolve(g: WatchedGroup): Promise<string> {
    if (!g.suffixed) return g.groupId;
    const known = this.resolved.get(g.groupId);
    if (known) return known;
    const { groups } = await this.admin.listGroups();
    const newest = groups
      .map((x) => x.groupId)
      .filter((id) => id.startsWith(`${g.groupId}-`))
      .sort()
      .pop();
    if (!newest) return g.groupId; // not joined yet: nothing committed, lag counts from the start
    this.resolved.set(g.groupId, newest);
    return newest;
  }
}
