import { DynamicModule, Module, Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { HttpMetrics } from './http.metrics';
import { LoggingOptions, createRootLogger, loggerParams } from './logger.options';
import { MetricsController } from './metrics.controller';
import { PipelineMetrics } from './pipeline.metrics';
import { RequestErrorFilter } from './request-error.filter';
import { RequestIdHook } from './request-id.hook';
import { DEFAULT_REQUEST_LOG, REQUEST_LOG_OPTIONS, ROOT_LOGGER, RequestLogHook } from './request-log.hook';

export type ObservabilityOptions = LoggingOptions;

/** A registry per app (not prom-client's global one), so several apps can share a process or a test. */
export function createMetricsRegistry(serviceName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Logging (nestjs-pino) and metrics (prom-client) for one app: provides the app's `Registry`,
 * `PipelineMetrics` and `HttpMetrics`, and serves `GET /metrics`. Global, so feature modules
 * inject PipelineMetrics without importing this module.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const root = createRootLogger(options);
    const requestLog = { ...DEFAULT_REQUEST_LOG, ...options.requestLog };
    // without the AsyncLocalStorage context, unexpected errors are logged with the request's ids here
    const errorFilter: Provider[] = requestLog.asyncContext
      ? []
      : [{ provide: APP_FILTER, useClass: RequestErrorFilter }];
    return {
      module: ObservabilityModule,
      global: true,
      imports: [LoggerModule.forRoot(loggerParams(root))],
      controllers: [MetricsController],
      providers: [
        { provide: Registry, useFactory: () => createMetricsRegistry(options.serviceName) },
        {
          provide: PipelineMetrics,
          useFactory: (registry: Registry) => new PipelineMetrics(registry),
          inject: [Registry],
        },
        { provide: ROOT_LOGGER, useValue: root },
        { provide: REQUEST_LOG_OPTIONS, useValue: requestLog },
        HttpMetrics,
        RequestIdHook,
        RequestLogHook,
        ...errorFilter,
      ],
      exports: [Registry, PipelineMetrics, HttpMetrics],
    };
  }
}
