import { StreamLifecycle, StreamMetricsSnapshot, StreamStartedLifecycle, WindowRates } from '@app/contracts';

/**
 * Reconciles the two feeds that say whether a stream is live: the enricher's lifecycle feed (a
 * start or an end, as soon as the event passed the enricher) and the aggregator's metrics feed
 * (the same starts and ends, later, with the numbers). The two are separate topics, read in any
 * interleaving, so a record of either may be about a run the other has already moved past. A run
 * is told apart by its start (`startedAt`, the start event's time, which both feeds carry), and:
 * - a metrics snapshot of an older run than the lifecycle's live one is held back (read late);
 * - a live metrics snapshot of a run the lifecycle feed ended is held back, not revived;
 * - a lifecycle start of a run the metrics feed already ended leaves it ended, with that feed's
 *   final numbers: a start of the same run arriving after its end (the round's copy behind the
 *   fast lane, a replay), or any earlier start once its lease expired (only the aggregator ends a
 *   stream that way);
 * - a lifecycle start of the run the lifecycle feed itself ended leaves it ended: the feed is read
 *   uncommitted, so it may carry a fenced enricher's aborted copy of a start after the end that
 *   its successor wrote (a late end of an earlier run changes nothing: the run above decides);
 * - an end that does not name its run ends the run live at the end's time (the enricher's fast
 *   lane writes the lifecycle feed's starts and ends early, ends unnamed, through this same gate);
 * - otherwise the later record wins, as in one feed.
 * Once both feeds are read to the end, the live set is the same whatever the interleaving.
 * The ends are remembered for the `maxEnded` latest streams; past that the metrics feed rules.
 */
export class StreamLifecycleGate {
  /** Streams the lifecycle feed says are live -> the run, and the run it ended before. */
  private readonly liveRuns = new Map<string, LiveRun>();
  /** Streams the lifecycle feed ended, insertion-ordered (the oldest end is dropped first). */
  private readonly endedRuns = new Map<string, EndedRun>();
  /**
   * The latest live metrics snapshot held back per stream: it may be of a run the lifecycle feed
   * has not started yet (a restart whose clock is behind the ended run's), applied if that start
   * comes; else, as a compacted feed's last record, nothing would bring its numbers back.
   */
  private readonly heldBack = new Map<string, StreamMetricsSnapshot>();

  constructor(private readonly maxEnded: number) {}

  /** Whether to apply a metrics snapshot; the gate's own state follows the snapshots it admits. */
  admitsMetrics(snapshot: StreamMetricsSnapshot): boolean {
    const id = snapshot.streamId;
    const admitted = this.admits(snapshot);
    if (admitted) this.heldBack.delete(id);
    else if (snapshot.live) remember(this.heldBack, id, snapshot, this.maxEnded);
    return admitted;
  }

  private admits(snapshot: StreamMetricsSnapshot): boolean {
    const id = snapshot.streamId;
    const liveRun = this.liveRuns.get(id);
    if (liveRun !== undefined) {
      // an earlier run's (by the clock, or the run ended just before whatever its clock)
      if (snapshot.startedAt < liveRun.startedAt || snapshot.startedAt === liveRun.endedBefore) return false;
      if (!snapshot.live) this.liveRuns.delete(id);
      return true;
    }
    const ended = this.endedRuns.get(id);
    if (ended === undefined) return true;
    if (!snapshot.live) return ended.startedAt === undefined || snapshot.startedAt >= ended.startedAt;
    // without the ended run's start, a run that started after the end is a later one
    if (snapshot.startedAt <= (ended.startedAt ?? ended.endedAt)) return false;
    this.endedRuns.delete(id);
    return true;
  }

  /**
   * The snapshot to apply for a lifecycle record (undefined: nothing changes), given the cache's
   * current snapshot of the stream, live or ended.
   */
  onLifecycle(
    record: StreamLifecycle,
    current: StreamMetricsSnapshot | undefined,
    nowMs: number,
  ): StreamMetricsSnapshot | undefined {
    const id = record.streamId;
    // the run this feed ended does not start again: a second start of it is a late copy, from a
    // fenced enricher's aborted transaction (the feed is read uncommitted); a restart is a new run
    if (record.live && record.startedAt === this.endedRuns.get(id)?.startedAt) return undefined;
    const held = this.heldBack.get(id);
    this.heldBack.delete(id);
    if (record.live) {
      const endedBefore = this.endedRuns.get(id)?.startedAt;
      this.endedRuns.delete(id);
      if (current !== undefined && current.startedAt >= record.startedAt) {
        if (current.live) {
          this.liveRuns.set(id, { startedAt: current.startedAt, endedBefore });
          return undefined;
        }
        // its lease expired (the aggregator saw no activity): a restart would be a later start
        if (current.endReason === 'expired') return undefined;
        // the run the metrics feed already ended, with its final numbers (that feed's last record
        // of it): a start arriving after that (the round's copy behind the fast lane's end, or a
        // replay) must not put a zeroed start in their place. Unless a live snapshot of this start
        // is held back: then the end was the gate's, of another run (a restart with a clock behind)
        if (current.startedAt === record.startedAt && held?.startedAt !== record.startedAt) {
          const endedAt = current.endedAt ?? record.startedAt;
          remember(this.endedRuns, id, { startedAt: current.startedAt, endedAt }, this.maxEnded);
          return undefined;
        }
      }
      this.liveRuns.set(id, { startedAt: record.startedAt, endedBefore });
      if (held?.startedAt === record.startedAt) return held;
      // the live snapshot this start replaces is of an earlier start, or of a later run with a
      // clock behind this one's: held back for that run's start
      if (current?.live === true) remember(this.heldBack, id, current, this.maxEnded);
      return startedSnapshot(record, nowMs);
    }
    this.liveRuns.delete(id);
    // an end that does not name its run (the fast lane's) ends the run live at its time: named, so
    // the transaction round's copy of that run's start, arriving after it, does not revive it
    const startedAt =
      record.startedAt ??
      (current?.live === true && current.startedAt <= record.endedAt ? current.startedAt : undefined);
    remember(this.endedRuns, id, { startedAt, endedAt: record.endedAt }, this.maxEnded);
    // a snapshot of another run than the ended one stays held back, for that run's start
    const otherRun = (s: StreamMetricsSnapshot | undefined) =>
      s?.live === true && startedAt !== undefined && s.startedAt !== startedAt;
    if (otherRun(held)) remember(this.heldBack, id, held!, this.maxEnded);
    if (current === undefined || !current.live || current.startedAt > (startedAt ?? record.endedAt))
      return undefined;
    if (otherRun(current)) remember(this.heldBack, id, current, this.maxEnded);
    // as the aggregator ends a stream: no audience any more
    return {
      ...current,
      live: false,
      viewers: 0,
      viewerVelocity: 0,
      endedAt: record.endedAt,
      endReason: record.endReason,
      updatedAt: nowMs,
    };
  }

  /** The lifecycle feed's tombstone of a stream (or the metrics feed's): nothing is known of it. */
  forget(streamId: string): void {
    this.liveRuns.delete(streamId);
    this.endedRuns.delete(streamId);
    this.heldBack.delete(streamId);
  }
}

/** Sets `key` as the newest entry, dropping the oldest past `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

interface LiveRun {
  startedAt: number;
  /** The start of the run the lifecycle feed ended before this one, when known. */
  endedBefore: number | undefined;
}

interface EndedRun {
  /** The ended run's start, when the enricher knew it. */
  startedAt: number | undefined;
  /** The end event's time. */
  endedAt: number;
}

const NO_RATES: WindowRates = {
  chats: 0,
  bids: 0,
  uniqueBidders: 0,
  purchases: 0,
  gmv: 0,
  giveaways: 0,
  newViewers: 0,
};

/** A stream that has just started, before its first metrics: live, no audience or activity yet. */
export function startedSnapshot(record: StreamStartedLifecycle, nowMs: number): StreamMetricsSnapshot {
  return {
    streamId: record.streamId,
    live: true,
    sellerId: record.sellerId,
    category: record.category,
    language: record.language,
    title: record.title,
    startedAt: record.startedAt,
    viewers: 0,
    peakViewers: 0,
    uniqueViewers: 0,
    rates: { '1m': NO_RATES, '5m': NO_RATES, '15m': NO_RATES },
    viewerVelocity: 0,
    engagementScore: 0,
    lifetime: { chats: 0, bids: 0, purchases: 0, gmvByCurrency: {}, giveawayEntries: 0, uniqueViewers: 0 },
    lastEventAt: record.startedAt,
    updatedAt: nowMs,
  };
}
