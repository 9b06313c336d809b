import { IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, Min, ValidateBy } from 'class-validator';
import { CURRENCY_PATTERN } from '../validation/limits';
import { IsBoundedText, IsCategory, IsLanguageTag, IsSafeId } from '../validation/decorators';
import { TITLE_MAX_LENGTH } from '../validation/limits';

/** Sliding/decayed windows the rates are kept over. */
export const RATE_WINDOWS = ['1m', '5m', '15m'] as const;
export type RateWindow = (typeof RATE_WINDOWS)[number];
/** Why a stream stopped being live. */
export const STREAM_END_REASONS = ['ended', 'removed', 'expired'] as const;
export type StreamEndReason = (typeof STREAM_END_REASONS)[number];

const finite = { allowNaN: false, allowInfinity: false } as const;

/**
 * Rates over one window, in events per minute (gmv: major units per minute, all currencies
 * summed as-is: a ranking signal, the exact money is in `lifetime.gmvByCurrency`).
 */
export class WindowRatesDto {
  @IsNumber(finite) @Min(0) chats!: number;
  @IsNumber(finite) @Min(0) bids!: number;
  @IsNumber(finite) @Min(0) uniqueBidders!: number;
  @IsNumber(finite) @Min(0) purchases!: number;
  @IsNumber(finite) @Min(0) gmv!: number;
  @IsNumber(finite) @Min(0) giveaways!: number;
  @IsNumber(finite) @Min(0) newViewers!: number;
}

/** Exact lifetime counts (checkable from outside); money in integer ten-thousandths per currency. */
export class LifetimeTotalsDto {
  @IsInt() @Min(0) chats!: number;
  @IsInt() @Min(0) bids!: number;
  @IsInt() @Min(0) purchases!: number;
  @ValidateBy({
    name: 'isGmvByCurrency',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.entries(value).length <= 64 &&
        Object.entries(value).every(
          ([currency, amount]) =>
            CURRENCY_PATTERN.test(currency) && Number.isSafeInteger(amount) && amount >= 0,
        ),
      defaultMessage: () =>
        '$property must map 3-letter currency codes to non-negative integer ten-thousandths',
    },
  })
  gmvByCurrency!: Record<string, number>;
  @IsInt() @Min(0) giveawayEntries!: number;
  @IsInt() @Min(0) uniqueViewers!: number;
}

/**
 * The per-stream record of the metrics change feed (compacted, key = streamId). An ended,
 * removed or expired stream is a record with `live: false`. Times are epoch ms. Nested objects
 * are validated by parseStreamMetricsSnapshot (their own DTOs above).
 */
export class StreamMetricsSnapshotDto {
  @IsSafeId() streamId!: string;
  @IsBoolean() live!: boolean;
  @IsOptional() @IsIn([...STREAM_END_REASONS]) endReason?: StreamEndReason;
  @IsSafeId() sellerId!: string;
  @IsCategory() category!: string;
  @IsLanguageTag() language!: string;
  @IsBoundedText(TITLE_MAX_LENGTH) title!: string;
  @IsInt() @Min(0) startedAt!: number;
  @IsOptional() @IsInt() @Min(0) endedAt?: number;
  @IsInt() @Min(0) viewers!: number;
  @IsInt() @Min(0) peakViewers!: number;
  @IsInt() @Min(0) uniqueViewers!: number;
  @IsObject() rates!: Record<RateWindow, WindowRatesDto>;
  /** Change of current viewers, viewers per minute (negative when the audience shrinks). */
  @IsNumber(finite) viewerVelocity!: number;
  @IsNumber(finite) engagementScore!: number;
  @IsObject() lifetime!: LifetimeTotalsDto;
  @IsInt() @Min(0) lastEventAt!: number;
  @IsInt() @Min(0) updatedAt!: number;
}
