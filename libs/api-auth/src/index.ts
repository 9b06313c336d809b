export * from './api-auth.module';
export * from './api-auth.options';
export * from './api-key.authenticator';
export * from './api-key.guard';
export * from './require-scope.decorator';
export * from './token-bucket.rate-limiter';
