export * from './dependency.check';
export * from './health.controller';
export * from './health.module';
export * from './kafka.check';
export * from './readiness.registry';
export * from './redis.check';
export * from './shutdown.state';
