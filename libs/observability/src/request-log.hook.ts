import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
// nestjs-pino keeps its request context (what PinoLogger/Logger read) in this AsyncLocalStorage;
// binding it from a Fastify hook replaces pino-http + middleware (request-log.hook.spec.ts
// checks a handler's log still carries the request and trace ids)
import { Store, storage } from 'nestjs-pino/storage';
import type { Bindings, Level, Logger } from 'pino';
import { parseTraceparent } from './traceparent';

/** Which finished requests get an access line (errors and slow ones always do). */
export interface RequestLogOptions {
  /** A request taking at least this long is logged at warn, whatever its status; ms. */
  slowMs: number;
  /** Share of fast successful (< 400) requests logged at info, 0..1 (0 = none). */
  sampleRate: number;
  /**
   * Run each request inside nestjs-pino's AsyncLocalStorage context, so PinoLogger / Nest Logger
   * calls in handlers carry reqId and traceId. On Node 20 an active AsyncLocalStorage makes every
   * promise of the process pay async-hook callbacks (~3-4 % of a feed request's CPU). An app whose
   * handlers never log turns it off: access lines, unexpected-error lines (RequestErrorFilter) and
   * `requestLogger(request)` still carry the ids.
   */
  asyncContext: boolean;
}

export const DEFAULT_REQUEST_LOG: RequestLogOptions = { slowMs: 500, sampleRate: 0, asyncContext: true };

/** Injection tokens: the app's root pino logger and its RequestLogOptions. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
export const REQUEST_LOG_OPTIONS = Symbol('REQUEST_LOG_OPTIONS');

// Probes and scrapes every few seconds would drown the useful lines.
const QUIET_PATHS = ['/health/', '/metrics'];

/**
 * The level of a finished request's access line, or undefined for none: 5xx error, slow warn,
 * 4xx debug, a `sampleRate` share of the rest info; health and metrics never.
 */
export function accessLogLevel(
  url: string,
  statusCode: number,
  durationMs: number,
  options: RequestLogOptions,
  random: () => number = Math.random,
): Level | undefined {
  if (QUIET_PATHS.some((p) => url.startsWith(p))) return undefined;
  if (statusCode >= 500) return 'error';
  if (durationMs >= options.slowMs) return 'warn';
  if (statusCode >= 400) return 'debug';
  return options.sampleRate > 0 && random() < options.sampleRate ? 'info' : undefined;
}

/** The fields every log line of a request carries: request id and, if the caller sent one, its trace. */
export function requestBindings(requestId: string, traceparent: string | string[] | undefined): Bindings {
  const trace = parseTraceparent(Array.isArray(traceparent) ? traceparent[0] : traceparent);
  // the caller's span is our parent; a hop that starts its own span logs it with traceLogFields
  return trace
    ? { reqId: requestId, traceId: trace.traceId, parentSpanId: trace.spanId }
    : { reqId: requestId };
}

/**
 * A request's logging context whose child logger is built on first use: most requests never log,
 * and a child (bindings serialised) per request was most of pino-http's cost.
 */
class LazyRequestStore implements Store {
  responseLogger?: Logger = undefined;
  private child: Logger | undefined = undefined;

  constructor(
    private readonly root: Logger,
    private readonly request: FastifyRequest,
  ) {}

  get logger(): Logger {
    this.child ??= this.root.child(requestBindings(this.request.id, this.request.headers.traceparent));
    return this.child;
  }

  // PinoLogger.assign() replaces the request's logger with a child carrying more fields
  set logger(value: Logger) {
    this.child = value;
  }
}

const STORE = Symbol('requestLogStore');
type WithStore = FastifyRequest & { [STORE]?: LazyRequestStore };

/**
 * The request's pino logger (reqId, traceId bound; built on first use), or undefined for a request
 * RequestLogHook did not see. Works with `asyncContext` off, where PinoLogger has no context.
 */
export function requestLogger(request: FastifyRequest): Logger | undefined {
  return (request as WithStore)[STORE]?.logger;
}

/**
 * Per-request logging on Fastify hooks instead of pino-http: onRequest binds the request's lazy
 * logging context (so PinoLogger/Logger calls in handlers carry reqId and traceId), onResponse
 * writes an access line only when `accessLogLevel` asks for one.
 */
@Injectable()
export class RequestLogHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(ROOT_LOGGER) private readonly root: Logger,
    @Inject(REQUEST_LOG_OPTIONS) private readonly options: RequestLogOptions,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
      const store = new LazyRequestStore(this.root, request);
      (request as WithStore)[STORE] = store;
      // the rest of the request (handler, guards, filters) runs inside this context
      if (this.options.asyncContext) storage.run(store, done);
      else done();
    });
    fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      this.log(request, reply);
      done();
    });
  }

  private log(request: WithStore, reply: FastifyReply): void {
    const durationMs = reply.elapsedTime;
    const level = accessLogLevel(request.url, reply.statusCode, durationMs, this.options);
    if (level === undefined || !this.root.isLevelEnabled(level)) return;
    const logger =
      request[STORE]?.logger ?? this.root.child(requestBindings(request.id, request.headers.traceparent));
    logger[level](
      {
        req: { method: request.method, url: request.url },
        res: { statusCode: reply.statusCode },
        responseTime: Math.round(durationMs),
      },
      level === 'error' ? 'request errored' : level === 'warn' ? 'slow request' : 'request completed',
    );
  }
}
