import { APP_CONFIG } from '@app/config';
import { GrpcHealthServer, ShutdownState, beginShutdownOnSignals } from '@app/health';
import { logBootFailure } from '@app/observability';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { RecommenderApiConfig, SERVICE_NAME } from './config/recommender-api.config';
import { recommenderFastifyOptions } from './http/fastify.options';
import { RecommenderApiModule } from './recommender-api.module';
import { setupSwagger } from './swagger.setup';

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
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  // readiness (HTTP and gRPC) flips the moment the signal arrives: Nest runs the global health
  // module's own destroy hook last, after the consumers have drained
  beginShutdownOnSignals(app.get(ShutdownState), signals);
  // exit 0 after a clean shutdown (the default re-raises the signal: exit code 143)
  app.enableShutdownHooks(signals, { useProcessExit: true });
  setupSwagger(app);
  const config = app.get<RecommenderApiConfig>(APP_CONFIG);
  await app.listen(config.common.port, '0.0.0.0');
  // grpc.health.v1 for Kubernetes' gRPC probes; closed by the health module on shutdown
  await app.get(GrpcHealthServer).listen({ serviceName: SERVICE_NAME, port: config.common.grpcPort });
}

bootstrap().catch((error: unknown) => {
  logBootFailure(SERVICE_NAME, error);
  process.exit(1);
});
