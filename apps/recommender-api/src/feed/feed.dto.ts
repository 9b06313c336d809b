import { CATEGORY_PATTERN, LANGUAGE_PATTERN, SAFE_ID_PATTERN } from '@app/contracts';
import { ID_LIMIT_DOC, MAX_ID_LENGTH } from '../http/fastify.options';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_CURSOR_LENGTH } from './feed-cursor';
import { RANKING_SIGNALS } from '../ranking/ranking.types';

const idMessage = '$property must be 1-128 characters of A-Z a-z 0-9 . _ : -';

export class UserIdParamDto {
  @ApiProperty({ example: 'u-42', maxLength: MAX_ID_LENGTH, description: ID_LIMIT_DOC })
  @Matches(SAFE_ID_PATTERN, { message: idMessage })
  userId!: string;
}

export class FeedQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page (no repeats within a chain).' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CURSOR_LENGTH)
  cursor?: string;

  @ApiPropertyOptional({ example: 'trading-cards' })
  @IsOptional()
  @Matches(CATEGORY_PATTERN, { message: '$property must be 1-64 characters of A-Z a-z 0-9 . _ : -' })
  category?: string;

  @ApiPropertyOptional({ example: 'en' })
  @IsOptional()
  @Matches(LANGUAGE_PATTERN, { message: '$property must be a language tag such as "en" or "pt-BR"' })
  language?: string;

  @ApiPropertyOptional({ description: 'Comma-separated seller ids (at most 100).', type: String })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.split(',').filter((s) => s !== '') : value,
  )
  @ArrayMaxSize(100)
  @Matches(SAFE_ID_PATTERN, { each: true, message: `each value in ${idMessage}` })
  excludeSellerIds?: string[];

  @ApiPropertyOptional({
    description: 'Wait (bounded) until asOf >= minAsOf (epoch ms), else answer stale: true.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  minAsOf?: number;
}

export class FeedItemDto {
  @ApiProperty() streamId!: string;
  @ApiProperty() sellerId!: string;
  @ApiProperty() title!: string;
  @ApiProperty() category!: string;
  @ApiProperty() score!: number;
  @ApiProperty({
    description: `Each signal's contribution to the score (${RANKING_SIGNALS.join(', ')}); they sum to it.`,
    type: 'object',
    additionalProperties: { type: 'number' },
  })
  reasons!: Record<string, number>;
}

export class FeedResponseDto {
  @ApiProperty({ type: [FeedItemDto] }) items!: FeedItemDto[];
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'Low watermark (epoch ms): every event with occurredAt <= asOf that reached Kafka is reflected.',
  })
  asOf!: number | null;
  @ApiProperty({ description: 'Epoch ms.' }) generatedAt!: number;
  @ApiProperty({ description: 'Echo it in rec.impression / rec.clicked.' }) requestId!: string;
  @ApiProperty() rankingProfile!: string;
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
  @ApiProperty({ description: 'minAsOf was not reached within the bounded wait.' }) stale!: boolean;
  @ApiProperty({ description: 'Built without part of its inputs (Redis/Qdrant down, index catching up).' })
  degraded!: boolean;
}
