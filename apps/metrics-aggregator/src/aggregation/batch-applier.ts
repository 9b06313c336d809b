import { ApplyOutcome, BatchUpdate, PartitionProgress } from './batch-update';
import { BatchFoldService, OffsetEvent } from './batch-fold.service';
import { AggregateStateRepository } from '../state/aggregate-state.repository';

export interface AppliedBatch {
  /** null when everything was already applied. */
  update: BatchUpdate | null;
  outcome: ApplyOutcome | null;
}

/** Conflicts in a row before giving up (the batch then fails and is redelivered). */
const MAX_CONFLICTS = 5;

/**
 * Fold + apply with the partition progress cached between batches: normally one script call per
 * batch. The cache is only a guess; the script's offset check makes it safe (a conflict returns
 * the stored progress, and the batch is folded again against it).
 */
export class BatchApplier {
  private readonly progress = new Map<string, PartitionProgress>();

  constructor(
    private readonly fold: BatchFoldService,
    private readonly repository: AggregateStateRepository,
  ) {}

  async apply(topic: string, partition: number, messages: OffsetEvent[]): Promise<AppliedBatch> {
    const key = `${topic}\u0000${partition}`;
    let progress = this.progress.get(key) ?? (await this.repository.readProgress(topic, partition));
    for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
      const update = this.fold.fold(topic, partition, messages, progress);
      if (update === null) {
        this.progress.set(key, progress);
        return { update: null, outcome: null };
      }
      const outcome = await this.repository.applyBatch(update);
      if (outcome.status === 'conflict') {
        progress = outcome.progress;
        continue;
      }
      if (outcome.status === 'applied') {
        this.progress.set(key, { offset: update.lastOffset, maxEventTime: update.maxEventTime });
      } else {
        this.progress.delete(key);
      }
      return { update, outcome };
    }
    this.progress.delete(key);
    throw new Error(`partition ${topic}[${partition}]: offset kept moving under the fold (another writer?)`);
  }

  /** The partition's cached progress (after apply), if any. */
  progressOf(topic: string, partition: number): PartitionProgress | undefined {
    return this.progress.get(`${topic}\u0000${partition}`);
  }

  /** Partition revoked or state rebuilt: forget what we assumed. */
  forget(): void {
    this.progress.clear();
  }
}
