import { ApiKeyScope } from '@app/config';
import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { API_AUTH_OPTIONS, ApiAuthOptions, MissingApiKeysError } from './api-auth.options';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { REQUIRED_SCOPE } from './require-scope.decorator';
import { TokenBucketRateLimiter } from './token-bucket.rate-limiter';

interface HttpRequestLike {
  headers: Record<string, string | string[] | undefined>;
}
/** Fastify's reply has `header`, Express' response `setHeader`. */
interface HttpReplyLike {
  header?: (name: string, value: string) => unknown;
  setHeader?: (name: string, value: string) => unknown;
}

/**
 * X-API-Key authentication, scope check and per-key rate limit in one guard (`@UseGuards(ApiKeyGuard)`
 * with `@RequireScope('read')`). 401 missing/unknown key, 403 wrong scope, 429 + Retry-After over
 * the limit. Constructed at boot: without keys it refuses production and warns elsewhere.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);
  private readonly authenticator: ApiKeyAuthenticator;
  private readonly limiter: TokenBucketRateLimiter;
  // required scope by controller class, then handler: metadata is fixed once the app is built
  private readonly scopes = new WeakMap<object, WeakMap<object, ApiKeyScope>>();

  constructor(
    @Inject(API_AUTH_OPTIONS) options: ApiAuthOptions,
    private readonly reflector: Reflector,
  ) {
    this.authenticator = new ApiKeyAuthenticator(options.keys);
    if (this.authenticator.open) {
      if (options.nodeEnv === 'production') throw new MissingApiKeysError();
      this.logger.warn(
        'API_KEYS is not set: the API is open to every caller (allowed outside production only)',
      );
    }
    this.limiter = new TokenBucketRateLimiter(options.rateLimit.max, options.rateLimit.windowMs);
  }

  canActivate(context: ExecutionContext): boolean {
    const required = this.requiredScope(context);
    const http = context.switchToHttp();
    const header = http.getRequest<HttpRequestLike>().headers['x-api-key'];
    const principal = this.authenticator.authenticate(Array.isArray(header) ? header[0] : header);
    if (!principal) throw new UnauthorizedException('missing or unknown X-API-Key');
    if (!principal.scopes.has(required))
      throw new ForbiddenException(`this API key lacks the "${required}" scope`);
    const decision = this.limiter.take(principal.bucket);
    if (!decision.allowed) {
      const reply = http.getResponse<HttpReplyLike>();
      const value = String(decision.retryAfterSec);
      if (reply.header) reply.header('Retry-After', value);
      else reply.setHeader?.('Retry-After', value);
      throw new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          error: 'Too Many Requests',
          message: 'rate limit exceeded',
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    return true;
  }

  /** @RequireScope of the handler, else of its controller, else `admin`. */
  private requiredScope(context: ExecutionContext): ApiKeyScope {
    const handler = context.getHandler();
    const cls = context.getClass();
    let byHandler = this.scopes.get(cls);
    let scope = byHandler?.get(handler);
    if (scope === undefined) {
      scope =
        this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE, [handler, cls]) ?? 'admin';
      if (byHandler === undefined) this.scopes.set(cls, (byHandler = new WeakMap()));
      byHandler.set(handler, scope);
    }
    return scope;
  }
}
