import { setTimeout as sleep } from 'node:timers/promises';
import { Body, Controller, Get, HttpException, Logger as NestLogger, Post } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PinoLogger } from 'nestjs-pino';
import { DEFAULT_REQUEST_LOG, accessLogLevel } from './request-log.hook';
import { LogLine } from './test-support/json-lines.sink';
import { startObservedApp } from './test-support/observed-app.fixture';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
// ms: the slow route sleeps well past the threshold, the others answer at once; high enough that a
// loaded machine cannot push a "fast" request over it (it would be logged at warn)
const SLOW_MS = 500;

@Controller()
class ProbeController {
  private readonly nestLogger = new NestLogger('Probe');

  constructor(private readonly pino: PinoLogger) {}

  @Get('ok')
  ok(): string {
    return 'ok';
  }

  @Get('boom')
  boom(): never {
    throw new HttpException('down', 503);
  }

  @Get('missing')
  missing(): never {
    throw new HttpException('no', 404);
  }

  @Get('slow')
  async slow(): Promise<string> {
    await sleep(SLOW_MS * 2);
    return 'slow';
  }

  @Get('logs')
  async logs(): Promise<string> {
    this.pino.info('from pino');
    await sleep(1); // after an await: the context follows the request's async chain
    this.nestLogger.log('from nest');
    return 'logged';
  }

  // a JSON body is parsed between onRequest and the handler: the context must survive it
  @Post('logs')
  posted(@Body() body: { note: string }): string {
    this.pino.info(body.note);
    return 'logged';
  }

  @Get('health/live')
  live(): never {
    throw new HttpException('probe', 500);
  }
}

type Line = LogLine;

describe('RequestLogHook', () => {
  let app: NestFastifyApplication;
  const lines: Line[] = [];

  beforeAll(async () => {
    app = await startObservedApp({ slowMs: SLOW_MS, sampleRate: 0 }, [ProbeController], lines);
  });

  afterAll(() => app.close());
  beforeEach(() => (lines.length = 0));

  const request = (url: string) =>
    app.inject({ method: 'GET', url, headers: { 'x-request-id': 'req-1', traceparent: TRACEPARENT } });
  const accessLines = () => lines.filter((l) => l.req !== undefined);

  it('logs a 5xx at error with method, url, status, duration and trace', async () => {
    expect((await request('/boom')).statusCode).toBe(503);
    expect(accessLines()).toEqual([
      expect.objectContaining({
        level: 50,
        service: 'probe',
        reqId: 'req-1',
        traceId: TRACE_ID,
        req: { method: 'GET', url: '/boom' },
        res: { statusCode: 503 },
        responseTime: expect.any(Number) as number,
        msg: 'request errored',
      }),
    ]);
  });

  it('does not log a fast 200 with sample 0, nor a 4xx at info', async () => {
    expect((await request('/ok')).statusCode).toBe(200);
    expect((await request('/missing')).statusCode).toBe(404);
    expect(accessLines()).toEqual([]);
  });

  it('logs a slow 200 at warn', async () => {
    expect((await request('/slow')).statusCode).toBe(200);
    const [line] = accessLines();
    expect(line).toMatchObject({ level: 40, reqId: 'req-1', traceId: TRACE_ID, res: { statusCode: 200 } });
    expect(line.responseTime).toBeGreaterThanOrEqual(SLOW_MS);
  });

  it('never logs health probes, even failing ones', async () => {
    expect((await request('/health/live')).statusCode).toBe(500);
    expect(accessLines()).toEqual([]);
  });

  it('puts the request id and trace id on lines logged inside the handler', async () => {
    expect((await request('/logs')).statusCode).toBe(200);
    const own = lines.filter((l) => l.msg === 'from pino' || l.msg === 'from nest');
    expect(own).toHaveLength(2);
    for (const line of own) expect(line).toMatchObject({ reqId: 'req-1', traceId: TRACE_ID });
  });

  it('keeps the context across the parsing of a JSON body', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/logs',
      headers: { 'x-request-id': 'req-3', 'content-type': 'application/json' },
      payload: { note: 'posted' },
    });
    expect(response.statusCode).toBe(201);
    expect(lines.filter((l) => l.msg === 'posted')).toEqual([expect.objectContaining({ reqId: 'req-3' })]);
  });

  it('gives each request its own context', async () => {
    await app.inject({ method: 'GET', url: '/logs', headers: { 'x-request-id': 'req-2' } });
    const own = lines.filter((l) => l.msg === 'from pino');
    expect(own).toEqual([expect.objectContaining({ reqId: 'req-2' })]);
    expect(own[0]).not.toHaveProperty('traceId');
  });
});

describe('accessLogLevel', () => {
  const options = { ...DEFAULT_REQUEST_LOG, sampleRate: 0.01 };

  it('samples successful requests at the configured rate', () => {
    expect(accessLogLevel('/v1/x', 200, 3, options, () => 0.005)).toBe('info');
    expect(accessLogLevel('/v1/x', 200, 3, options, () => 0.5)).toBeUndefined();
    expect(accessLogLevel('/v1/x', 200, 3, DEFAULT_REQUEST_LOG, () => 0)).toBeUndefined();
  });

  it('logs 4xx at debug, slow at warn, 5xx at error, metrics never', () => {
    expect(accessLogLevel('/v1/x', 404, 3, options)).toBe('debug');
    expect(accessLogLevel('/v1/x', 404, 600, options)).toBe('warn');
    expect(accessLogLevel('/v1/x', 500, 3, options)).toBe('error');
    expect(accessLogLevel('/metrics', 500, 900, options)).toBeUndefined();
  });
});
