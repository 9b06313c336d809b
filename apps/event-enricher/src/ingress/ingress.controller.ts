import {
  Body,
  Controller,
  ForbiddenException,
  Headers,
  HttpCode,
  HttpException,
  HttpStatus,
  Logger,
  Post,
  Res,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiKeyAuthenticator, TokenBucketRateLimiter } from '@app/api-auth';
import { IngressService } from './ingress.service';

/**
 * `POST /v1/events`: one event or an array of up to 1,000. 202 {accepted} once the broker acked;
 * 400/403 with per-item errors and nothing produced; 401 without a valid key; 429 + Retry-After
 * over the key's rate; 503 when the broker is unavailable (retry later). Malformed JSON (400) and
 * bodies over the limit (413) are answered by Fastify before this handler runs.
 */
@Controller('v1/events')
export class IngressController {
  private readonly logger = new Logger(IngressController.name);

  constructor(
    private readonly ingress: IngressService,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly limiter: TokenBucketRateLimiter,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async post(
    @Body() body: unknown,
    @Headers('x-api-key') apiKey: string | undefined,
    @Headers('traceparent') traceparent: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ accepted: number }> {
    const principal = this.authenticator.authenticate(apiKey);
    if (!principal) throw new UnauthorizedException('a valid X-API-Key header is required');
    if (!principal.scopes.has('ingest') && !principal.scopes.has('admin')) {
      throw new ForbiddenException('this API key has no ingest scope');
    }
    const rate = this.limiter.take(principal.bucket);
    if (!rate.allowed) {
      void reply.header('Retry-After', String(rate.retryAfterSec));
      throw new HttpException('rate limit exceeded for this API key', HttpStatus.TOO_MANY_REQUESTS);
    }
    let outcome;
    try {
      outcome = await this.ingress.ingest(body, principal, traceparent);
    } catch (error) {
      this.logger.warn(`produce failed: ${(error as Error).message}`);
      throw new ServiceUnavailableException('the event log is unavailable; retry later');
    }
    if (outcome.status !== 202) {
      throw new HttpException(
        { statusCode: outcome.status, message: outcome.message, errors: outcome.errors },
        outcome.status,
      );
    }
    return { accepted: outcome.accepted };
  }
}
