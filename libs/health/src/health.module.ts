import {
  DynamicModule,
  InjectionToken,
  Module,
  ModuleMetadata,
  OptionalFactoryDependency,
} from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DependencyCheck } from './dependency.check';
import { GrpcHealthServer } from './grpc-health.server';
import { HealthController } from './health.controller';
import { ReadinessRegistry } from './readiness.registry';
import { ShutdownState } from './shutdown.state';

export interface HealthModuleOptions {
  /** What readiness checks from the start (more can be registered on ReadinessRegistry). */
  checks: DependencyCheck[];
  /** Per-check timeout, ms; under the probe's own timeout (Kubernetes default 1 s). */
  timeoutMs?: number;
}

export interface HealthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...deps: never[]) => HealthModuleOptions | Promise<HealthModuleOptions>;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 800;
const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');

/**
 * `GET /health/live` (the process) and `GET /health/ready` (every registered dependency, 503
 * when one is down or shutdown has begun), and GrpcHealthServer (grpc.health.v1, started by
 * main.ts on GRPC_PORT). Global: feature modules inject ReadinessRegistry to add checks and
 * ShutdownState to follow shutdown.
 */
@Module({})
export class HealthModule {
  static forRootAsync(options: HealthModuleAsyncOptions): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [
        { provide: HEALTH_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        {
          provide: ReadinessRegistry,
          inject: [HEALTH_OPTIONS],
          useFactory: (opts: HealthModuleOptions) => {
            const registry = new ReadinessRegistry(opts.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS);
            for (const check of opts.checks) registry.register(check);
            return registry;
          },
        },
        ShutdownState,
        GrpcHealthServer,
      ],
      exports: [ReadinessRegistry, ShutdownState, GrpcHealthServer],
    };
  }
}
