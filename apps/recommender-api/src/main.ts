import { loadConfig } from '@app/config';
import { ShutdownState, bootstrapService, createFastifyService, exitOnBootFailure } from '@app/health';
import { serveClusterMetrics } from '@app/observability';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import cluster from 'node:cluster';
import pino from 'pino';
import { SERVICE_NAME, recommenderApiEnvSchema } from './config/recommender-api.config';
import { recommenderFastifyOptions } from './http/fastify.options';
import { onShutdownFromPrimary, superviseHttpWorkers } from './http/http-workers';
import { RecommenderApiModule } from './recommender-api.module';
import { setupSwagger } from './swagger.setup';

/** HTTP_WORKERS > 1: workers ignore signals; the primary relays SIGTERM/SIGINT as one message each. */
function shutdownOnPrimaryMessage(app: NestFastifyApplication): void {
  const shutdownState = app.get(ShutdownState);
  onShutdownFromPrimary(() => {
    shutdownState.begin();
    void app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

// The one place that reads process.env: the root module validates it once.
function bootstrap(): Promise<NestFastifyApplication> {
  return bootstrapService({
    serviceName: SERVICE_NAME,
    create: () =>
      createFastifyService(RecommenderApiModule.forRoot(process.env), recommenderFastifyOptions()),
    configure: setupSwagger,
    // one process (HTTP_WORKERS=1) drains on SIGTERM/SIGINT itself
    shutdown: cluster.isWorker ? shutdownOnPrimaryMessage : undefined,
  });
}

async function start(): Promise<void> {
  if (!cluster.isPrimary) {
    await bootstrap();
    return;
  }
  // validated here too, so a bad environment fails once in the primary, not in every worker
  const { serving } = loadConfig(recommenderApiEnvSchema, process.env);
  if (serving.workers <= 1) {
    await bootstrap();
    return;
  }
  const logger = pino({
    base: { service: SERVICE_NAME, role: 'primary', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
  serveClusterMetrics();
  superviseHttpWorkers(serving.workers, {
    info: (message, fields) => logger.info(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  });
}

start().catch(exitOnBootFailure(SERVICE_NAME));
