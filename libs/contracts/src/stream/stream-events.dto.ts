import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { IsBoundedText, IsCategory, IsCount, IsLanguageTag, IsSafeId } from '../validation/decorators';
import {
  REASON_MAX_LENGTH,
  TAG_MAX_LENGTH,
  TAGS_MAX_COUNT,
  TITLE_MAX_LENGTH,
  VIEWER_COUNT_MAX,
} from '../validation/limits';

/** `stream.started`: a seller went live. */
export class StreamStartedData {
  @IsSafeId() streamId!: string;
  @IsSafeId() sellerId!: string;
  @IsBoundedText(TITLE_MAX_LENGTH) title!: string;
  @IsCategory() category!: string;
  @IsArray()
  @ArrayMaxSize(TAGS_MAX_COUNT)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(TAG_MAX_LENGTH, { each: true })
  tags!: string[];
  @IsLanguageTag() language!: string;
}

/** `stream.updated`: any of title, category, tags, language changed (absent = unchanged). */
export class StreamUpdatedData {
  @IsSafeId() streamId!: string;
  @IsOptional() @IsBoundedText(TITLE_MAX_LENGTH) title?: string;
  @IsOptional() @IsCategory() category?: string;
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(TAGS_MAX_COUNT)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(TAG_MAX_LENGTH, { each: true })
  tags?: string[];
  @IsOptional() @IsLanguageTag() language?: string;
}

/** `stream.heartbeat`: the stream is still live (keeps its lease); optional platform viewer count. */
export class StreamHeartbeatData {
  @IsSafeId() streamId!: string;
  @IsOptional() @IsCount(VIEWER_COUNT_MAX) viewerCount?: number;
}

/** `stream.ended`: the seller ended the show. */
export class StreamEndedData {
  @IsSafeId() streamId!: string;
}

/** `stream.removed`: moderation takedown, gone from every feed at once. */
export class StreamRemovedData {
  @IsSafeId() streamId!: string;
  @IsBoundedText(REASON_MAX_LENGTH) reason!: string;
}

/**
 * `stream.expired` (system-only): the aggregator's sweeper saw the stream's lease run out. Written
 * with a deterministic eventId; the ingress refuses it from clients.
 */
export class StreamExpiredData {
  @IsSafeId() streamId!: string;
}
