import { TransportHealth } from '@app/kafka';
import { Logger } from '@nestjs/common';
import { Observable, Subscription } from 'rxjs';
import { AggregateStateRepository } from '../state/aggregate-state.repository';
import { ChangeFeedPublisher } from './change-feed.publisher';

/**
 * Republishes, when a partition is assigned, the streams its pending set still holds (applied,
 * record never acked: this instance or the previous owner died between the apply and the flush;
 * docs/key-layout.md `pending:`). Triggered by each group (re)join (`assigned`) and, as a
 * fallback, before the first batch of a partition not yet recovered since the last join
 * (`ensure`, awaited by the batch handler). Cost: one ZRANGE + one HMGET per partition and join.
 */
export class PendingRecovery {
  private readonly logger = new Logger(PendingRecovery.name);
  private readonly recovered = new Map<number, Promise<void>>();

  constructor(
    private readonly repository: AggregateStateRepository,
    private readonly feed: ChangeFeedPublisher,
    private readonly topic: string,
  ) {}

  /** The group was (re)joined and these partitions of the topic are ours: recover each again. */
  async assigned(partitions: number[]): Promise<void> {
    this.recovered.clear();
    try {
      await Promise.all(partitions.map((p) => this.ensure(p)));
    } catch (error) {
      // ensure() is retried before the partition's next batch
      this.logger.warn(`pending change-feed recovery failed: ${(error as Error).message}`);
    }
  }

  /** Recovers the partition once per join (concurrent callers share the read). */
  ensure(partition: number): Promise<void> {
    let done = this.recovered.get(partition);
    if (!done) {
      done = this.recover(partition);
      this.recovered.set(partition, done);
      const mine = done;
      mine.catch(() => {
        if (this.recovered.get(partition) === mine) this.recovered.delete(partition);
      });
    }
    return done;
  }

  private async recover(partition: number): Promise<void> {
    const [pending, progress] = await Promise.all([
      this.repository.readPending(this.topic, partition),
      this.repository.readProgress(this.topic, partition),
    ]);
    if (pending.length === 0) return;
    this.logger.log(`republishing ${pending.length} pending streams of ${this.topic}[${partition}]`);
    this.feed.markPending(partition, pending, progress.maxEventTime);
  }
}

/** What watchAssignments needs of the consumer transport (KafkaBatchServer or its in-process twin). */
export interface AssignmentSource {
  readonly status: Observable<string>;
  health(): TransportHealth;
}

/**
 * Calls `onAssigned` with the topic's partitions of this member after every group (re)join
 * (status 'connected', emitted after the assignment is known). Unsubscribe on shutdown.
 */
export function watchAssignments(
  transport: AssignmentSource,
  topic: string,
  onAssigned: (partitions: number[]) => Promise<void>,
): Subscription {
  return transport.status.subscribe((status) => {
    if (status !== 'connected') return;
    const partitions = transport
      .health()
      .assigned.filter((a) => a.topic === topic)
      .flatMap((a) => a.partitions);
    void onAssigned(partitions);
  });
}
