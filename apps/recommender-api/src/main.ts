import { APP_CONFIG, loadConfig } from '@app/config';
import { GrpcHealthServer, ShutdownState, beginShutdownOnSignals } from '@app/health';
import { logBootFailure, serveClusterMetrics } from '@app/observability';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import cluster from 'node:cluster';
import pino from 'pino';
import { RecommenderApiConfig, SERVICE_NAME, recommenderApiEnvSchema } from './config/recommender-api.config';
import { recommenderFastifyOptions } from './http/fastify.options';
import { onShutdownFromPrimary, superviseHttpWorkers } from './http/http-workers';
import { RecommenderApiModule } from './recommender-api.module';
import { setupSwagger } from './swagger.setup';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

// The one place that reads process.env: the root module validates it once.
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    RecommenderApiModule.forRoot(process.env),
    new FastifyAdapter(recommenderFastifyOptions()),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  const shutdownState = app.get(ShutdownState);
  if (cluster.isWorker) {
    // HTTP_WORKERS > 1: the primary relays SIGTERM/SIGINT as one message per worker
    onShutdownFromPrimary(() => {
      shutdownState.begin();
      void app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  } else {
    // readiness (HTTP and gRPC) flips the moment the signal arrives: Nest runs the global health
    // module's own destroy hook last, after the consumers have drained
    beginShutdownOnSignals(shutdownState, SIGNALS);
    // exit 0 after a clean shutdown (the default re-raises the signal: exit code 143)
    app.enableShutdownHooks(SIGNALS, { useProcessExit: true });
  }
  setupSwagger(app);
  const config = app.get<RecommenderApiConfig>(APP_CONFIG);
  await app.listen(config.common.port, '0.0.0.0');
  // grpc.health.v1 for Kubernetes' gRPC probes; closed by the health module on shutdown
  await app.get(GrpcHealthServer).listen({ serviceName: SERVICE_NAME, port: config.common.grpcPort });
}

function start(): Promise<void> {
  if (!cluster.isPrimary) return bootstrap();
  // validated here too, so a bad environment fails once in the primary, not in every worker
  const { serving } = loadConfig(recommenderApiEnvSchema, process.env);
  if (serving.workers <= 1) return bootstrap();
  const logger = pino({
    base: { service: SERVICE_NAME, role: 'primary', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  serveClusterMetrics();
  superviseHttpWorkers(serving.workers, {
    info: (message, fields) => logger.info(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  });
  return Promise.resolve();
}

start().catch((error: unknown) => {
  logBootFailure(SERVICE_NAME, error);
  process.exit(1);
});
