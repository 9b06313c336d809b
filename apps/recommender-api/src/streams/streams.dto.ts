import { CATEGORY_PATTERN, LANGUAGE_PATTERN, SAFE_ID_PATTERN } from '@app/contracts';
import { ID_LIMIT_DOC, MAX_ID_LENGTH } from '../http/fastify.options';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

export class StreamIdParamDto {
  @ApiProperty({ example: 'stream-1', maxLength: MAX_ID_LENGTH, description: ID_LIMIT_DOC })
  @Matches(SAFE_ID_PATTERN, { message: '$property must be 1-128 characters of A-Z a-z 0-9 . _ : -' })
  streamId!: string;
}

export class LimitQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class TrendingQueryDto extends LimitQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(CATEGORY_PATTERN, { message: '$property must be 1-64 characters of A-Z a-z 0-9 . _ : -' })
  category?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(LANGUAGE_PATTERN, { message: '$property must be a language tag such as "en" or "pt-BR"' })
  language?: string;
}

export class SearchQueryDto extends LimitQueryDto {
  @ApiProperty({ example: 'vintage watches', minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  q!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(LANGUAGE_PATTERN, { message: '$property must be a language tag such as "en" or "pt-BR"' })
  language?: string;
}

export class LiveStreamItemDto {
  @ApiProperty() streamId!: string;
  @ApiProperty() sellerId!: string;
  @ApiProperty() title!: string;
  @ApiProperty() category!: string;
  @ApiProperty() language!: string;
  @ApiProperty() viewers!: number;
  @ApiProperty() engagementScore!: number;
  @ApiProperty({ description: 'Epoch ms.' }) startedAt!: number;
  @ApiProperty({ description: 'Ranking score of this list (similarity and/or live engagement).' })
  score!: number;
}

export class StreamListDto {
  @ApiProperty({ type: [LiveStreamItemDto] }) items!: LiveStreamItemDto[];
  @ApiProperty({ nullable: true, type: Number }) asOf!: number | null;
  @ApiProperty() generatedAt!: number;
  @ApiProperty() degraded!: boolean;
}
