import { IsBoolean, IsInt, IsOptional, Min, ValidateBy } from 'class-validator';
import { IsCategory, IsLanguageTag, IsSafeId } from '../validation/decorators';

/** Marker for context the enricher could not find (an event for a stream it has not seen yet). */
export const UNKNOWN = 'unknown' as const;
export type Unknown = typeof UNKNOWN;

/** What the enricher knew about the event's stream when it passed through. */
export class StreamContextDto {
  @IsSafeId() sellerId!: string;
  @IsCategory() category!: string;
  @IsLanguageTag() language!: string;
  @IsBoolean() live!: boolean;
  /** Time since the stream started at the event's occurredAt (ms; 0 if the event precedes it). */
  @IsInt() @Min(0) ageMs!: number;
}

/**
 * Added by the enricher to every event. `stream` is present for events that have a streamId
 * (`'unknown'` when the stream was not seen yet); `followsSeller` for engagement events
 * (`null` when the seller is unknown).
 */
export class EnrichmentDto {
  /** When the enricher processed it, epoch ms. */
  @IsInt() @Min(0) ingestedAt!: number;
  @IsOptional()
  @ValidateBy({
    name: 'isStreamContextOrUnknown',
    validator: {
      validate: (value: unknown) =>
        value === UNKNOWN || (typeof value === 'object' && value !== null && !Array.isArray(value)),
      defaultMessage: () => `$property must be an object or "${UNKNOWN}"`,
    },
  })
  stream?: StreamContextDto | Unknown;
  /** IsOptional lets null through: null means the seller is unknown. */
  @IsOptional() @IsBoolean() followsSeller?: boolean | null;
}
