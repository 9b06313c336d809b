import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { HttpMetrics } from './http.metrics';
import { LoggingOptions, createRootLogger, loggerParams } from './logger.options';
import { MetricsController } from './metrics.controller';
import { PipelineMetrics } from './pipeline.metrics';
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
        { provide: REQUEST_LOG_OPTIONS, useValue: { ...DEFAULT_REQUEST_LOG, ...options.requestLog } },
        HttpMetrics,
        RequestIdHook,
        RequestLogHook,
      ],
      exports: [Registry, PipelineMetrics, HttpMetrics],
    };
  }
}
