import { EntitySnapshot, EntityWrite } from '../entity-cache/stream-context.record';

/** Dedupe marks to set and entity lookups to make, for one batch. */
export interface StateLookup {
  /** One per parsed event, in batch order: its eventId and its own mark (`partition:offset`). */
  claims: readonly { eventId: string; mark: string }[];
  /** Distinct streams whose context is needed. */
  streamIds: readonly string[];
  /** Distinct users whose follow set is needed. */
  userIds: readonly string[];
  /** Lifetime of new dedupe marks, seconds. */
  dedupeWindowSec: number;
}

export interface StateSnapshot extends EntitySnapshot {
  /** Per claim, the mark that was there before (null: none, this claim set it). */
  previousMarks: (string | null)[];
  /**
   * Per claim: true when it is a duplicate (a previous mark other than its own) whose drop an
   * earlier delivery of the same message (same eventId and mark) already recorded; the drop is then
   * not counted again. Drops are remembered for the dedupe window.
   */
  dropRecorded: boolean[];
}

/**
 * The enricher's state: dedupe marks and the entity cache (stream contexts, follow sets). One call
 * per batch each way so the Redis implementation costs one round trip per call. Claims are applied
 * in order, so a repeated eventId in the same batch sees the first one's mark.
 */
export interface EnricherStateRepository {
  claimAndLookup(lookup: StateLookup): Promise<StateSnapshot>;
  apply(writes: readonly EntityWrite[]): Promise<void>;
}

export const ENRICHER_STATE_REPOSITORY = Symbol('ENRICHER_STATE_REPOSITORY');

/** How long the entity cache keeps a stream's context after its last lifecycle write, seconds. */
export const LIVE_STREAM_TTL_SEC = 7 * 24 * 3600;
/** An ended stream's context stays a day, for late events (view.ended, purchases) about it. */
export const ENDED_STREAM_TTL_SEC = 24 * 3600;

export const streamTtlSec = (live: boolean): number => (live ? LIVE_STREAM_TTL_SEC : ENDED_STREAM_TTL_SEC);
