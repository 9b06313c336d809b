import { APP_CONFIG, CommonConfig } from '@app/config';
import { logBootFailure } from '@app/observability';
import { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { GrpcHealthServer } from './grpc-health.server';
import { ShutdownState, beginShutdownOnSignals } from './shutdown.state';

/** The signals every service drains on. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * A service's Nest app on Fastify, logging through nestjs-pino (the root module provides its
 * Logger; boot logs are buffered until it is in place).
 */
export async function createFastifyService(
  root: DynamicModule,
  fastifyOptions?: ConstructorParameters<typeof FastifyAdapter>[0],
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter(fastifyOptions), {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  return app;
}

/**
 * Drain on SIGTERM/SIGINT. Readiness (HTTP and gRPC) flips the moment the signal arrives: Nest runs
 * the global health module's own destroy hook last, after the consumers have drained. Exit 0 after
 * a clean shutdown (Nest's default re-raises the signal: exit code 143).
 */
export function shutdownOnSignals(app: NestFastifyApplication): void {
  beginShutdownOnSignals(app.get(ShutdownState), SHUTDOWN_SIGNALS);
  app.enableShutdownHooks([...SHUTDOWN_SIGNALS], { useProcessExit: true });
}

export interface ServiceBootstrapOptions {
  /** grpc.health.v1 service name (also in boot-failure logs). */
  serviceName: string;
  /** Builds the app (usually `createFastifyService`). */
  create(): Promise<NestFastifyApplication>;
  /** Wiring before any shutdown hook or listener: consumers as microservices, checks, Swagger. */
  configure?(app: NestFastifyApplication): void;
  /** Installs what starts the shutdown. Default `shutdownOnSignals`. */
  shutdown?(app: NestFastifyApplication): void;
  /** Starts serving. Default: the app's microservices (consumers), then HTTP on 0.0.0.0. */
  listen?(app: NestFastifyApplication, port: number): Promise<void>;
}

/**
 * The bootstrap every service's main.ts shares: create -> configure -> shutdown triggers -> listen
 * (HTTP on the config's PORT) -> grpc.health.v1 on GRPC_PORT for Kubernetes' gRPC probes (closed
 * by the health module on shutdown). Ports come from the app's validated config (APP_CONFIG).
 */
export async function bootstrapService(options: ServiceBootstrapOptions): Promise<NestFastifyApplication> {
  const app = await options.create();
  options.configure?.(app);
  (options.shutdown ?? shutdownOnSignals)(app);
  const { port, grpcPort } = app.get<{ common: CommonConfig }>(APP_CONFIG).common;
  if (options.listen) {
    await options.listen(app, port);
  } else {
    await app.startAllMicroservices();
    await app.listen(port, '0.0.0.0');
  }
  await app.get(GrpcHealthServer).listen({ serviceName: options.serviceName, port: grpcPort });
  return app;
}

/** For main.ts: `bootstrapService(...).catch(exitOnBootFailure(SERVICE_NAME))`. */
export function exitOnBootFailure(serviceName: string): (error: unknown) => never {
  return (error) => {
    logBootFailure(serviceName, error);
    process.exit(1);
  };
}
