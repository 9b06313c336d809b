import { LIVE_STREAM_REFRESH_MS } from '@app/contracts';
import { EventProducer, OutboundMessage } from '@app/kafka';
import { Logger } from '@nestjs/common';
import { AggregateStateRepository, PendingStream, Watermark } from '../state/aggregate-state.repository';
import { buildSnapshot, materialFingerprint } from './snapshot.builder';
import { sendChunked } from '../aggregation/send-chunked';

export interface ChangeFeedOptions {
  enrichedTopic: string;
  metricsTopic: string;
  watermarksTopic: string;
  /** Longest time between two records of one busy stream, ms (the interval under full load). */
  coalesceMs: number;
  /** Shortest time between two records of one stream, ms (the interval when few streams are busy). Default 10. */
  minCoalesceMs?: number;
  /**
   * Metric records per second the interval adapts to: interval = busy streams / budget, within
   * [minCoalesceMs, coalesceMs]. Default 4000 (1,000 busy streams -> 250 ms; 40 -> 10 ms).
   */
  recordsPerSecBudget?: number;
  /** Who publishes (the key of the watermark records): e.g. "metrics-aggregator". */
  source: string;
  /**
   * A live stream's record is written again after this long even when nothing material changed,
   * so the feed's retention (METRICS_FEED_RETENTION) only ever deletes ended streams' records, ms.
   * Default LIVE_STREAM_REFRESH_MS.
   */
  refreshMs?: number;
}

interface DirtyStream {
  partition: number;
  /** The partition's applied event time before the batch that made the stream dirty (watermark bound). */
  since: number;
  /** Offset of the latest batch of `partition` that touched the stream (its pending score). */
  offset: number;
}

/** A lifecycle change to publish at once; `traceparent` is forwarded on its record when sampled. */
export type UrgentStreams = ReadonlyMap<string, string | undefined>;

const NO_URGENT: UrgentStreams = new Map();

/** A flush running longer than this is logged (then again every as long), ms. */
const FLUSH_STALL_WARN_MS = 30_000;

/** What an applied batch tells the feed. */
export interface AppliedStreams {
  partition: number;
  /** Offset of the batch's last message (decimal string): the streams' pending score. */
  lastOffset: string;
  streamIds: Iterable<string>;
  /** The partition's max event time after the batch, epoch ms. */
  eventTime: number;
  /** Lifecycle changes, published at once. */
  urgent?: UrgentStreams;
}

/**
 * The per-stream metrics change feed and the per-partition watermarks. Batches mark the streams
 * they touched; a flush reads the streams that are due, produces a snapshot for each materially
 * changed one and waits for the acks. Coalescing is per stream and adaptive: a stream is due when
 * its last record is older than the current interval (busy streams / recordsPerSecBudget, within
 * [minCoalesceMs, coalesceMs]), so a quiet stream's change goes out within one flush (ms) and a
 * busy one at most every interval; lifecycle changes are due at once. A partition's watermark
 * (the event time up to which everything is applied AND in the feed) is published after a flush:
 * its applied event time when none of its streams is still waiting, else the applied event time
 * before the oldest waiting change. It trails the applied state by at most ~coalesceMs + a flush.
 *
 * Crash safety: the apply script also puts the batch's streams in the partition's pending set
 * (score = batch offset); a flush removes them only after their records are acked (and only if no
 * later batch touched them meanwhile), and a (re)assigned partition's pending streams are marked
 * dirty again (`markPending`, by PendingRecovery). So a SIGKILL between apply and flush delays
 * records, it never loses them.
 */
export class ChangeFeedPublisher {
  private readonly logger = new Logger(ChangeFeedPublisher.name);
  private dirty = new Map<string, DirtyStream>();
  private urgent = new Map<string, string | undefined>();
  /** Applied event time per partition (max). */
  private readonly applied = new Map<number, number>();
  private readonly watermarkSent = new Map<number, number>();
  /** Partitions with batches applied since their last watermark record. */
  private readonly watermarkDue = new Set<number>();
  /** Each live stream's last record: its material fingerprint and when it was sent (wall clock). */
  private readonly published = new Map<string, { fingerprint: string; at: number }>();
  /** Wall clock of each stream's last read for a record (sent or found immaterial), ms. */
  private readonly lastRecordAt = new Map<string, number>();
  /** Distinct streams marked in the current and the previous second (the busy-stream count). */
  private busyNow = new Set<string>();
  private busyBefore = 0;
  private busySince = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private flushing: Promise<void> | null = null;
  /** Streams the running (main) flush took: the lane leaves them to it (their records must stay in order). */
  private mainTaken = new Map<string, DirtyStream>();
  /**
   * The urgent lane: lifecycle changes that arrive while a flush runs are published at once by a
   * second, small flush instead of waiting for the running one (under load a flush of hundreds of
   * busy streams takes tens to hundreds of ms). It never touches a stream the main flush holds, and
   * the main flush skips (and its watermarks wait for) the streams the lane holds.
   */
  private lane: Promise<void> | null = null;
  private laneTaken = new Map<string, DirtyStream>();
  private closed = false;
  private readonly refreshMs: number;

  constructor(
    private readonly repository: AggregateStateRepository,
    private readonly producer: EventProducer,
    private readonly options: ChangeFeedOptions,
    private readonly clock: () => number = Date.now,
  ) {
    this.refreshMs = options.refreshMs ?? LIVE_STREAM_REFRESH_MS;
  }

  /** After a batch was applied: its streams, partition, offset, event time (max of the partition) and lifecycle changes. */
  markApplied({ partition, lastOffset, streamIds, eventTime, urgent = NO_URGENT }: AppliedStreams): void {
    const before = this.applied.get(partition) ?? 0;
    const offset = Number(lastOffset);
    const now = this.clock();
    if (now - this.busySince >= 1_000) {
      this.busyBefore = now - this.busySince >= 2_000 ? 0 : this.busyNow.size;
      this.busyNow = new Set();
      this.busySince = now;
    }
    for (const id of streamIds) {
      this.markDirty(id, partition, before, offset);
      this.busyNow.add(id);
    }
    for (const [id, traceparent] of urgent) this.urgent.set(id, traceparent ?? this.urgent.get(id));
    this.applied.set(partition, Math.max(before, eventTime));
    this.watermarkDue.add(partition);
    this.schedule();
  }

  /**
   * A partition was (re)assigned: its streams whose records were never acked (a crash or a previous
   * owner) are published again, as of the state read at the flush. `maxEventTime` is the
   * partition's stored applied event time. Their watermark bound is 0 (unknown): the partition's
   * watermark waits until they are out.
   */
  markPending(partition: number, pending: PendingStream[], maxEventTime: number): void {
    for (const p of pending) this.markDirty(p.streamId, partition, 0, p.offset);
    this.applied.set(partition, Math.max(this.applied.get(partition) ?? 0, maxEventTime));
    this.watermarkDue.add(partition);
    this.schedule();
  }

  /** Flushes everything pending now, due or not (and waits for a flush in progress first). */
  async flush(): Promise<void> {
    for (let running = this.flushing ?? this.lane; running; running = this.flushing ?? this.lane)
      await running;
    await this.runFlush(true);
    while (this.lane) await this.lane;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private markDirty(id: string, partition: number, since: number, offset: number): void {
    const entry = this.dirty.get(id);
    if (!entry) this.dirty.set(id, { partition, since, offset });
    // (a stream's events share one partition; should another one touch it, that partition's
    // pending entry is simply not acked here and is republished on its next assignment)
    else if (entry.partition === partition && offset > entry.offset) entry.offset = offset;
  }

  /** Current per-stream interval, ms. */
  intervalMs(): number {
    const min = this.options.minCoalesceMs ?? 10;
    const busy = Math.max(this.busyBefore, this.busyNow.size);
    const adaptive = (busy * 1_000) / (this.options.recordsPerSecBudget ?? 4_000);
    return Math.min(this.options.coalesceMs, Math.max(min, adaptive));
  }

  private runFlush(all: boolean): Promise<void> {
    // A flush waits on Redis and on the broker's acks: one that never settles would stop the feed
    // (and the watermarks) while the service looks healthy, so say so in the log.
    const startedAt = this.clock();
    const stalled = setInterval(
      () => this.logger.warn(`change-feed flush still running after ${this.clock() - startedAt} ms`),
      FLUSH_STALL_WARN_MS,
    );
    stalled.unref?.();
    this.flushing = this.flushOnce(all).finally(() => {
      clearInterval(stalled);
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Earliest wall time a dirty stream becomes due (now when urgent or never published). */
  private nextDue(now: number): number {
    if (this.urgent.size > 0) return now;
    const interval = this.intervalMs();
    let due = Infinity;
    for (const id of this.dirty.keys()) {
      const at = (this.lastRecordAt.get(id) ?? -Infinity) + interval;
      if (at <= now) return now;
      if (at < due) due = at;
    }
    return due;
  }

  private schedule(): void {
    if (this.closed || this.dirty.size === 0) return;
    if (this.flushing) {
      this.startLane();
      return;
    }
    const now = this.clock();
    const at = this.nextDue(now);
    if (at === Infinity || (this.timer && this.timerAt <= at)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.kick();
      },
      Math.max(0, at - now),
    );
  }

  /** Runs a (main) flush now unless one runs already (that one schedules the next when done). */
  private kick(): void {
    if (this.flushing || this.closed) return;
    this.runFlush(false).then(
      () => this.schedule(),
      (error: unknown) => {
        // Kept dirty (flushOnce restores it): retried after a pause.
        this.logger.warn(`change-feed flush failed, retrying: ${(error as Error).message}`);
        setTimeout(() => this.schedule(), Math.min(1_000, this.options.coalesceMs * 4)).unref?.();
      },
    );
  }

  /**
   * The due streams (all of them when `all`), taken out of the dirty set; never one the urgent lane
   * holds (it stays dirty for the next flush).
   */
  private takeDue(all: boolean, now: number): Map<string, DirtyStream> {
    const interval = this.intervalMs();
    const taken = new Map<string, DirtyStream>();
    for (const [id, entry] of this.dirty) {
      if (this.laneTaken.has(id)) continue;
      if (all || this.urgent.has(id) || (this.lastRecordAt.get(id) ?? -Infinity) + interval <= now) {
        taken.set(id, entry);
      }
    }
    for (const id of taken.keys()) this.dirty.delete(id);
    return taken;
  }

  /** Moves the urgent flags of `due`'s streams out of the urgent set. */
  private takeUrgent(due: Map<string, DirtyStream>): Map<string, string | undefined> {
    const urgent = new Map<string, string | undefined>();
    for (const id of due.keys()) {
      if (this.urgent.has(id)) urgent.set(id, this.urgent.get(id));
      this.urgent.delete(id);
    }
    return urgent;
  }

  /** A failed flush: its streams are dirty (and urgent) again, merged with what came meanwhile. */
  private restore(due: Map<string, DirtyStream>, urgent: Map<string, string | undefined>): void {
    for (const [id, entry] of due) {
      const later = this.dirty.get(id);
      const kept = later && later.since < entry.since ? later : entry;
      this.dirty.set(id, { ...kept, offset: Math.max(kept.offset, later?.offset ?? -1, entry.offset) });
    }
    for (const [id, traceparent] of urgent) if (!this.urgent.has(id)) this.urgent.set(id, traceparent);
  }

  private async flushOnce(all: boolean): Promise<void> {
    const due = this.takeDue(all, this.clock());
    const urgent = this.takeUrgent(due);
    this.mainTaken = due;
    try {
      await this.publishSnapshots(due, urgent);
      await this.publishWatermarks();
    } catch (error) {
      this.restore(due, urgent);
      throw error;
    } finally {
      this.mainTaken = new Map();
    }
  }

  /** Publishes the urgent streams the running main flush does not hold, next to it. */
  private startLane(): void {
    if (this.lane || this.closed || this.urgent.size === 0) return;
    const due = new Map<string, DirtyStream>();
    for (const id of this.urgent.keys()) {
      const entry = this.dirty.get(id);
      if (entry && !this.mainTaken.has(id)) due.set(id, entry);
    }
    if (due.size === 0) return;
    for (const id of due.keys()) this.dirty.delete(id);
    const urgent = this.takeUrgent(due);
    this.laneTaken = due;
    this.lane = this.publishSnapshots(due, urgent)
      .catch((error: unknown) => {
        this.restore(due, urgent);
        this.logger.warn(
          `change-feed urgent flush failed, left to the next flush: ${(error as Error).message}`,
        );
      })
      .finally(() => {
        this.laneTaken = new Map();
        this.lane = null;
        // the watermarks the main flush held back for the lane's streams go out now even when idle
        if (this.dirty.size === 0 && this.watermarkDue.size > 0) this.kick();
        else this.schedule();
      });
  }

  private async publishSnapshots(due: Map<string, DirtyStream>, urgent: Map<string, string | undefined>) {
    if (due.size === 0) return;
    const ids = [...due.keys()];
    const states = await this.repository.readStreams(ids);
    const now = this.clock();
    // a read counts as a record for the interval: an immaterial change is not read again sooner
    for (const id of ids) this.lastRecordAt.set(id, now);
    const messages: OutboundMessage[] = [];
    const sent: [string, string, boolean][] = [];
    states.forEach((state, i) => {
      if (!state) return;
      const at = this.applied.get(due.get(ids[i])?.partition ?? -1) ?? 0;
      const snapshot = buildSnapshot(state, at, now);
      if (!snapshot) return;
      const fingerprint = materialFingerprint(snapshot);
      const last = this.published.get(snapshot.streamId);
      if (last?.fingerprint === fingerprint && now - last.at < this.refreshMs) return;
      sent.push([snapshot.streamId, fingerprint, snapshot.live]);
      const traceparent = urgent.get(snapshot.streamId);
      messages.push({
        key: snapshot.streamId,
        value: JSON.stringify(snapshot),
        ...(traceparent ? { headers: { traceparent } } : {}),
      });
    });
    if (messages.length > 0) await sendChunked(this.producer, this.options.metricsTopic, messages);
    // acked (acks=all) or not needed (unchanged, never started): no longer pending
    await this.repository.ackPending(
      this.options.enrichedTopic,
      ids.map((streamId) => {
        const { partition, offset } = due.get(streamId) as DirtyStream;
        return { partition, streamId, offset };
      }),
    );
    for (const [id, fingerprint, live] of sent) {
      if (live) {
        this.published.set(id, { fingerprint, at: now });
      } else {
        this.published.delete(id);
        this.lastRecordAt.delete(id);
      }
    }
  }

  /**
   * Per partition with new batches: its applied event time, or the one before its oldest change
   * still waiting (then it stays due). Never backwards; `updatedAt` says it is alive.
   */
  private async publishWatermarks(): Promise<void> {
    if (this.watermarkDue.size === 0) return;
    const bound = new Map<number, number>();
    // streams still waiting, and those the urgent lane is publishing right now
    for (const { partition, since } of [...this.dirty.values(), ...this.laneTaken.values()]) {
      bound.set(partition, Math.min(bound.get(partition) ?? Infinity, since));
    }
    const now = this.clock();
    const watermarks: Watermark[] = [];
    const complete: number[] = [];
    for (const partition of this.watermarkDue) {
      const applied = this.applied.get(partition) ?? 0;
      const held = bound.get(partition);
      if (held === undefined) complete.push(partition);
      const sent = this.watermarkSent.get(partition) ?? 0;
      const eventTime = Math.max(Math.min(applied, held ?? Infinity), sent);
      if (held !== undefined && eventTime <= sent) continue;
      watermarks.push({ topic: this.options.enrichedTopic, partition, eventTime, updatedAt: now });
    }
    if (watermarks.length > 0) {
      await this.repository.writeWatermarks(watermarks);
      await sendChunked(
        this.producer,
        this.options.watermarksTopic,
        watermarks.map((w) => ({
          key: `${this.options.source}:${w.topic}:${w.partition}`,
          value: JSON.stringify({ source: this.options.source, ...w }),
        })),
      );
    }
    for (const w of watermarks) this.watermarkSent.set(w.partition, w.eventTime);
    for (const partition of complete) this.watermarkDue.delete(partition);
  }
}
