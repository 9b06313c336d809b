import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, HttpException, Req } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import { storage } from 'nestjs-pino/storage';
import { requestLogger } from './request-log.hook';
import { LogLine } from './test-support/json-lines.sink';
import { startObservedApp } from './test-support/observed-app.fixture';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

@Controller()
class ProbeController {
  constructor(private readonly pino: PinoLogger) {}

  @Get('crash')
  async crash(): Promise<never> {
    await sleep(1);
    throw new Error('kaput');
  }

  @Get('teapot')
  teapot(): never {
    throw new HttpException({ statusCode: 418, message: 'short and stout' }, 418);
  }

  @Get('own')
  async own(@Req() request: FastifyRequest): Promise<{ inContext: boolean }> {
    await sleep(1);
    requestLogger(request)?.info('from the request logger');
    return { inContext: storage.getStore() !== undefined };
  }
}

type Line = LogLine;

/** RequestLogOptions.asyncContext = false: no AsyncLocalStorage, ids still on every line. */
describe('ObservabilityModule without the async context', () => {
  let app: NestFastifyApplication;
  const lines: Line[] = [];

  beforeAll(async () => {
    app = await startObservedApp({ asyncContext: false }, [ProbeController], lines);
  });

  afterAll(() => app.close());
  beforeEach(() => (lines.length = 0));

  const request = (url: string, id: string) =>
    app.inject({ method: 'GET', url, headers: { 'x-request-id': id, traceparent: TRACEPARENT } });

  it('runs handlers outside the AsyncLocalStorage context', async () => {
    const response = await request('/own', 'req-own');
    expect(response.json()).toEqual({ inContext: false });
    expect(response.headers['x-request-id']).toBe('req-own');
  });

  it("binds the request's ids on requestLogger(request)", async () => {
    await request('/own', 'req-own');
    expect(lines.filter((l) => l.msg === 'from the request logger')).toEqual([
      expect.objectContaining({ reqId: 'req-own', traceId: TRACE_ID, service: 'probe' }),
    ]);
  });

  it("answers an unexpected error as Nest does and logs it with the request's ids", async () => {
    const response = await request('/crash', 'req-crash');
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    const handlerLine = lines.find((l) => l.context === 'ExceptionsHandler');
    expect(handlerLine).toMatchObject({
      level: 50,
      reqId: 'req-crash',
      traceId: TRACE_ID,
      msg: 'kaput',
      err: expect.objectContaining({ message: 'kaput', type: 'Error' }) as unknown,
    });
    // the access line too
    expect(lines.find((l) => l.msg === 'request errored')).toMatchObject({ reqId: 'req-crash' });
  });

  it('leaves HttpExceptions to Nest: same body, no error line', async () => {
    const response = await request('/teapot', 'req-teapot');
    expect(response.statusCode).toBe(418);
    expect(response.json()).toEqual({ statusCode: 418, message: 'short and stout' });
    expect(lines.filter((l) => l.context === 'ExceptionsHandler')).toEqual([]);
  });
});
