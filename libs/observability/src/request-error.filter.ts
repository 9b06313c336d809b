import { ArgumentsHost, Catch, HttpServer, HttpStatus, IntrinsicException } from '@nestjs/common';
import { AbstractHttpAdapter, BaseExceptionFilter } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { requestLogger } from './request-log.hook';

// Nest's own body for an unknown error (MESSAGES.UNKNOWN_EXCEPTION_MESSAGE, not exported by name)
const UNKNOWN_ERROR_MESSAGE = 'Internal server error';

/**
 * Nest's default exception handling, except that the line logged for an unexpected error goes
 * through the request's own logger (reqId, traceId), as it would inside nestjs-pino's
 * AsyncLocalStorage context. Registered globally by ObservabilityModule when
 * `requestLog.asyncContext` is off: Nest's ExceptionsHandler would otherwise log it without ids.
 */
@Catch()
export class RequestErrorFilter extends BaseExceptionFilter {
  override handleUnknownError(
    exception: unknown,
    host: ArgumentsHost,
    applicationRef: AbstractHttpAdapter | HttpServer,
  ): void {
    const logger =
      host.getType() === 'http' ? requestLogger(host.switchToHttp().getRequest<FastifyRequest>()) : undefined;
    if (logger === undefined) return super.handleUnknownError(exception, host, applicationRef);
    // the reply exactly as BaseExceptionFilter.handleUnknownError builds it
    const body = this.isHttpError(exception)
      ? { statusCode: exception.statusCode, message: this.getHttpErrorMessage(exception) }
      : { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: UNKNOWN_ERROR_MESSAGE };
    const response: unknown = host.getArgByIndex(1);
    if (!applicationRef.isHeadersSent(response)) applicationRef.reply(response, body, body.statusCode);
    else applicationRef.end(response);
    if (exception instanceof IntrinsicException) return;
    // the fields nestjs-pino's Logger writes for ExceptionsHandler's line
    if (exception instanceof Error) logger.error({ context: 'ExceptionsHandler', err: exception });
    else logger.error({ context: 'ExceptionsHandler' }, String(exception));
  }
}
