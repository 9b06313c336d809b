export * from './service-process';
export * from './mesh';
