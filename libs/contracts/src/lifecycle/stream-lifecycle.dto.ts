import { Equals, IsBoolean, IsIn, IsInt, Min, ValidateIf } from 'class-validator';
import { IsBoundedText, IsCategory, IsLanguageTag, IsSafeId } from '../validation/decorators';
import { TITLE_MAX_LENGTH } from '../validation/limits';

/** Why the lifecycle feed ended a stream: the seller's end or a takedown (expiry is the aggregator's). */
export const LIFECYCLE_END_REASONS = ['ended', 'removed'] as const;
export type LifecycleEndReason = (typeof LIFECYCLE_END_REASONS)[number];

const whenLive = (record: { live?: unknown }) => record.live === true;
const whenEnded = (record: { live?: unknown }) => record.live === false;

/**
 * The per-stream record of the lifecycle change feed (compacted, key = streamId), written by the
 * enricher in the transaction of the event it comes from. A start carries what a feed shows of
 * the stream; an end carries the run it ends (`startedAt`, when the enricher saw the start).
 * Times are epoch ms, the source events' occurredAt.
 */
export class StreamLifecycleDto {
  @Equals(1) schemaVersion!: 1;
  @IsSafeId() streamId!: string;
  /** The event this record comes from (its idempotency key). */
  @IsSafeId() eventId!: string;
  @IsBoolean() live!: boolean;
  /** The run's start: required when live, the ended run's start when known. */
  @ValidateIf(
    (record: { live?: unknown; startedAt?: unknown }) => whenLive(record) || record.startedAt !== undefined,
  )
  @IsInt()
  @Min(0)
  startedAt?: number;
  @ValidateIf(whenLive) @IsSafeId() sellerId?: string;
  @ValidateIf(whenLive) @IsBoundedText(TITLE_MAX_LENGTH) title?: string;
  @ValidateIf(whenLive) @IsCategory() category?: string;
  @ValidateIf(whenLive) @IsLanguageTag() language?: string;
  @ValidateIf(whenEnded) @IsInt() @Min(0) endedAt?: number;
  @ValidateIf(whenEnded) @IsIn([...LIFECYCLE_END_REASONS]) endReason?: LifecycleEndReason;
}
