export * from './boot-failure';
export * from './http.metrics';
export * from './logger.options';
export * from './metrics.controller';
export * from './observability.module';
export * from './pipeline.metrics';
export * from './request-id.hook';
export * from './traceparent';
