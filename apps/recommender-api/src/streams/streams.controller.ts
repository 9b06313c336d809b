import { ApiKeyGuard, RequireScope } from '@app/api-auth';
import { Controller, Get, Inject, Param, Query, UseGuards, UsePipes } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { requestValidationPipe } from '../http/request-validation.pipe';
import {
  LimitQueryDto,
  SearchQueryDto,
  StreamIdParamDto,
  StreamListDto,
  TrendingQueryDto,
} from './streams.dto';
import { StreamsService } from './streams.service';

export const STREAMS_SERVICE = Symbol('STREAMS_SERVICE');

@ApiTags('streams')
@ApiSecurity('api-key')
@Controller('v1/streams')
@UseGuards(ApiKeyGuard)
@RequireScope('read')
@UsePipes(requestValidationPipe())
export class StreamsController {
  constructor(@Inject(STREAMS_SERVICE) private readonly streams: StreamsService) {}

  // static routes before `:streamId`
  @Get('trending')
  @ApiOkResponse({ type: StreamListDto, description: 'Live streams by engagement now.' })
  trending(@Query() query: TrendingQueryDto): StreamListDto {
    return this.streams.trending(query);
  }

  @Get('search')
  @ApiOkResponse({
    type: StreamListDto,
    description: 'Live streams matching a text (content embeddings), re-ranked live.',
  })
  search(@Query() query: SearchQueryDto): Promise<StreamListDto> {
    return this.streams.search(query);
  }

  @Get(':streamId')
  @ApiOkResponse({
    description: 'Live or not, seller, title, category, current metrics and lifetime totals.',
  })
  @ApiNotFoundResponse({ description: 'Unknown stream id.' })
  get(@Param() params: StreamIdParamDto): Record<string, unknown> {
    return this.streams.get(params.streamId);
  }

  @Get(':streamId/similar')
  @ApiOkResponse({ type: StreamListDto, description: 'Live streams like this one.' })
  @ApiNotFoundResponse({ description: 'Unknown stream id.' })
  similar(@Param() params: StreamIdParamDto, @Query() query: LimitQueryDto): Promise<StreamListDto> {
    return this.streams.similar(params.streamId, query.limit);
  }
}
