import { Type } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Logger } from 'nestjs-pino';
import { ObservabilityModule } from '../observability.module';
import { RequestLogOptions } from '../request-log.hook';
import { LogLine, jsonLinesSink } from './json-lines.sink';

/**
 * A Fastify app with ObservabilityModule ('probe', level info) and `controllers`, logging every
 * line parsed into `lines`; initialised and ready for `inject`.
 */
export async function startObservedApp(
  requestLog: Partial<RequestLogOptions>,
  controllers: Type[],
  lines: LogLine[],
): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ObservabilityModule.forRoot({
        serviceName: 'probe',
        level: 'info',
        requestLog,
        destination: jsonLinesSink(lines),
      }),
    ],
    controllers,
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
