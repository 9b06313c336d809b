import { ApiKeyGuard, RequireScope } from '@app/api-auth';
import { Controller, Get, Headers, Inject, Param, Query, Res, UseGuards, UsePipes } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { requestValidationPipe } from '../http/request-validation.pipe';
import { feedPageJson } from './feed-response.json';
import { FeedQueryDto, FeedResponseDto, UserIdParamDto } from './feed.dto';
import { FeedService } from './feed.service';

export const FEED_SERVICE = Symbol('FEED_SERVICE');

@ApiTags('feed')
@ApiSecurity('api-key')
@ApiUnauthorizedResponse({ description: 'Missing or unknown X-API-Key.' })
@ApiTooManyRequestsResponse({ description: 'Over the per-key rate limit (see Retry-After).' })
@Controller('v1/users')
@UseGuards(ApiKeyGuard)
@UsePipes(requestValidationPipe())
export class FeedController {
  constructor(@Inject(FEED_SERVICE) private readonly feed: FeedService) {}

  @Get(':userId/feed')
  @RequireScope('read')
  @ApiOkResponse({ type: FeedResponseDto, description: 'Live streams ranked for this user.' })
  @ApiBadRequestResponse({ description: 'A parameter is invalid (the message names it).' })
  getFeed(
    @Param() params: UserIdParamDto,
    @Query() query: FeedQueryDto,
    @Headers('accept-language') acceptLanguage?: string,
    @Res({ passthrough: true }) reply?: FastifyReply,
  ): Promise<Buffer> {
    // the hot route: its page is written by feedPageJson (the UTF-8 of the documented DTO's
    // JSON.stringify text, cheaper, straight from the ranked items) and sent as is (Fastify does not
    // serialise a Buffer). The type is set on success only: a route-wide header would also cover
    // error bodies, which Nest then re-types with a warning.
    return this.feed.feed(params.userId, query, primaryLanguage(acceptLanguage)).then((page) => {
      reply?.type('application/json; charset=utf-8');
      return feedPageJson(page);
    });
  }
}

/** `pt-BR,pt;q=0.9,en;q=0.8` -> `pt`; undefined when absent or unusable. */
export function primaryLanguage(header: string | undefined): string | undefined {
  const first = header?.split(',')[0]?.split(';')[0]?.trim().toLowerCase();
  const primary = first?.split('-')[0];
  return primary && /^[a-z]{2,3}$/.test(primary) ? primary : undefined;
}
