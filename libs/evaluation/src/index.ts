export * from './ranker.interface';
export * from './ranking.metrics';
export * from './live-set.tracker';
export * from './baseline.rankers';
export * from './evaluation.harness';
