import type { Params } from 'nestjs-pino';
import pino, { DestinationStream, Logger, stdTimeFunctions } from 'pino';
import { RequestLogOptions } from './request-log.hook';

export interface LoggingOptions {
  serviceName: string;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Which requests get an access line; defaults to DEFAULT_REQUEST_LOG (errors and slow only). */
  requestLog?: Partial<RequestLogOptions>;
  /** Where lines go; stdout (synchronous) by default. Tests pass a stream to read them. */
  destination?: DestinationStream;
}

/** Paths pino replaces with `[redacted]` wherever they appear (credentials, never logged). */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** An app's root logger: JSON lines with the service name, pid and ISO time. */
export function createRootLogger(options: LoggingOptions): Logger {
  const pinoOptions = {
    level: options.level,
    base: { service: options.serviceName, pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/**
 * nestjs-pino parameters around an existing root logger, with no middleware (`forRoutes: []`):
 * RequestLogHook binds each request's context and writes the access lines, so pino-http and its
 * per-request child logger are not on the hot path. Requests are logged as method + URL only: no
 * headers, no bodies (bodies may hold free text).
 */
export function loggerParams(root: Logger): Params {
  return { pinoHttp: { logger: root }, useExisting: true, forRoutes: [] };
}
