import type { IncomingMessage } from 'node:http';
import type { Params } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';
import { parseTraceparent } from './traceparent';

export interface LoggingOptions {
  serviceName: string;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
}

/** Paths pino replaces with `[redacted]` wherever they appear (credentials, never logged). */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

// Probes and scrapes every few seconds would drown the useful lines.
const QUIET_PATHS = ['/health/', '/metrics'];

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * nestjs-pino parameters: JSON lines with the service name, ISO time, request id (Fastify's, see
 * RequestIdHook) and trace ids.
 * Requests are logged as method + URL only: no headers, no bodies (bodies may hold free text).
 */
export function loggerParams(options: LoggingOptions): Params {
  return {
    pinoHttp: {
      level: options.level,
      base: { service: options.serviceName, pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      customProps: (req) => {
        const trace = parseTraceparent(header(req, 'traceparent'));
        // the caller's span is our parent; a hop that starts its own span logs it with traceLogFields
        return trace ? { traceId: trace.traceId, parentSpanId: trace.spanId } : {};
      },
      autoLogging: { ignore: (req) => QUIET_PATHS.some((p) => (req.url ?? '').startsWith(p)) },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
