export * from './test-infra';
export * from './fresh-topics';
