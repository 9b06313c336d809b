export * from './service-process';
export * from './mesh';
export * from './mesh-status';
export * from './infra-check';
export * from './ports';
export * from './prometheus-text';
