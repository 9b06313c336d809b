export * from './test-infra';
export * from './fresh-topics';
export * from './recording.producer';
