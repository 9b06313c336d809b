import { partitionKey } from './batch-server.base';

/** One partition's offset to commit: the next offset to consume (last handled + 1). */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** Sends ONE OffsetCommit request for all the given partitions; rejects if the broker refused it. */
export type CommitSender = (offsets: PartitionOffset[]) => Promise<void>;

export interface OffsetCommitSchedulerOptions {
  /** Least time between two commit requests in normal operation, ms. */
  intervalMs: number;
  /** A failed commit: reported per partition; the next due commit retries it. */
  onError(error: unknown, topic: string, partition: number): void;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Highest offset handled and recorded ("to commit"). Never decreases. */
  resolved: bigint;
  /** Highest offset the broker acknowledged from this member, -1n before the first. */
  committed: bigint;
  /** Highest offset in an unanswered request, -1n when none. */
  inFlight: bigint;
}

/**
 * Asynchronous, coalesced offset commits (the Java client's commitAsync + auto-commit interval):
 * batches record the offset they finished, and at most every `intervalMs` ONE OffsetCommit request
 * carries the latest recorded offset of every partition that moved. Normally at most one request is
 * in flight, so per partition at most one. Offsets only move forward: a record below what is already
 * recorded (a redelivery after a seek back or a rejoin) is ignored, and the state of revoked
 * partitions is dropped so that a later owner's commits are never overwritten.
 *
 * The lag this adds to the committed offset (at most `intervalMs` + one commit round trip) is also
 * the most that is redelivered after a crash: handlers are at-least-once with idempotent effects.
 */
export class OffsetCommitScheduler {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly inFlightRequests = new Set<Promise<void>>();
  private sender: CommitSender | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private suspended = false;

  constructor(private readonly options: OffsetCommitSchedulerOptions) {}

  /** How to send commits; kafkajs gives it per batch (`commitOffsetsIfNecessary`). Null: hold them. */
  useSender(sender: CommitSender | null): void {
    this.sender = sender;
    if (sender) this.schedule();
  }

  /** A batch's effects are done: `offset` (next to consume) may be committed. */
  record(topic: string, partition: number, offset: string): void {
    const key = partitionKey(topic, partition);
    const next = BigInt(offset);
    const state = this.partitions.get(key);
    if (!state) {
      this.partitions.set(key, { topic, partition, resolved: next, committed: -1n, inFlight: -1n });
    } else if (next > state.resolved) {
      state.resolved = next;
    } else {
      return;
    }
    this.schedule();
  }

  /** Sends whatever is recorded and not yet committed, after the request in flight; never rejects. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.inFlightRequests.size > 0) await Promise.all(this.inFlightRequests);
    const request = this.send(this.due(false));
    if (request) await request;
    this.schedule();
  }

  /**
   * The group is rebalancing: send every recorded offset NOW (even next to a request in flight, which
   * is safe because kafkajs sends all group requests of a broker on one connection and Kafka answers
   * one connection's requests in order), then hold further commits until `retainOnly` (the rejoin).
   * Called synchronously before kafkajs sends JoinGroup, so the commit reaches the coordinator first
   * and is accepted with the generation that still owns the partitions.
   */
  flushBeforeRevocation(): Promise<void> {
    this.clearTimer();
    this.suspended = true;
    return this.send(this.due(true)) ?? Promise.resolve();
  }

  /** After a (re)join: forget revoked partitions (their new owner commits them) and resume commits. */
  retainOnly(assigned: { topic: string; partitions: number[] }[]): void {
    const keep = new Set(
      assigned.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p))),
    );
    for (const key of this.partitions.keys()) if (!keep.has(key)) this.partitions.delete(key);
    this.suspended = false;
    this.schedule();
  }

  /** Partitions whose handled offsets are not acknowledged yet (recorded > committed). */
  uncommitted(): PartitionOffset[] {
    return [...this.partitions.values()]
      .filter((s) => s.resolved > s.committed)
      .map(({ topic, partition, resolved }) => ({ topic, partition, offset: resolved.toString() }));
  }

  /** Stops the timer (call flush() first to keep what is recorded). */
  stop(): void {
    this.clearTimer();
    this.suspended = true;
  }

  private schedule(): void {
    if (this.timer || this.suspended || !this.sender || this.inFlightRequests.size > 0) return;
    if (this.due(false).length === 0) return;
    const delayMs = Math.max(0, this.lastSentAt + this.options.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.send(this.due(false));
    }, delayMs);
  }

  /** Partitions to send: moved past what is committed and (unless forced) with nothing in flight. */
  private due(force: boolean): PartitionState[] {
    return [...this.partitions.values()].filter((s) =>
      force
        ? s.resolved > s.committed && s.resolved > s.inFlight
        : s.resolved > s.committed && s.inFlight < 0n,
    );
  }

  private send(states: PartitionState[]): Promise<void> | null {
    const sender = this.sender;
    if (!sender || states.length === 0) return null;
    const offsets = states.map((s) => {
      s.inFlight = s.resolved;
      return { topic: s.topic, partition: s.partition, offset: s.resolved.toString() };
    });
    this.lastSentAt = Date.now();
    const request: Promise<void> = sender(offsets).then(
      () => this.settle(offsets, true),
      (error: unknown) => {
        this.settle(offsets, false);
        for (const { topic, partition } of offsets) this.options.onError(error, topic, partition);
      },
    );
    const tracked = request.finally(() => {
      this.inFlightRequests.delete(tracked);
      this.schedule();
    });
    this.inFlightRequests.add(tracked);
    return tracked;
  }

  private settle(offsets: PartitionOffset[], ok: boolean): void {
    for (const { topic, partition, offset } of offsets) {
      // The partition may have been revoked (dropped) meanwhile: nothing to update then.
      const state = this.partitions.get(partitionKey(topic, partition));
      if (!state) continue;
      const sent = BigInt(offset);
      if (ok && sent > state.committed) state.committed = sent;
      if (state.inFlight === sent) state.inFlight = -1n;
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
