import { APP_CONFIG } from '@app/config';
import {
  GrpcHealthServer,
  ReadinessRegistry,
  ShutdownState,
  beginShutdownOnSignals,
  kafkaConsumerCheck,
} from '@app/health';
import { PipelineMetrics, logBootFailure } from '@app/observability';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { EmbeddingWriterConfig, SERVICE_NAME } from './config/embedding-writer.config';
import { EmbeddingWriterModule } from './embedding-writer.module';
import { embeddingWriterTransport } from './writer/embedding-writer-feature.module';

// The one place that reads process.env: the root module validates it once.
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    EmbeddingWriterModule.forRoot(process.env),
    new FastifyAdapter(),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  const config = app.get<EmbeddingWriterConfig>(APP_CONFIG);
  // the enriched-topic consumer (KafkaBatchServer) runs as this app's microservice
  const transport = embeddingWriterTransport({ ...config, serviceName: SERVICE_NAME });
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  transport.observe(app.get(PipelineMetrics).transportObserver());
  app.get(ReadinessRegistry).register(kafkaConsumerCheck('writer-consumer', () => transport.health()));
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  // readiness (HTTP and gRPC) flips the moment the signal arrives: Nest runs the global health
  // module's own destroy hook last, after the consumers have drained
  beginShutdownOnSignals(app.get(ShutdownState), signals);
  // exit 0 after a clean shutdown (the default re-raises the signal: exit code 143)
  app.enableShutdownHooks(signals, { useProcessExit: true });
  await app.startAllMicroservices();
  await app.listen(config.common.port, '0.0.0.0');
  // grpc.health.v1 for Kubernetes' gRPC probes; closed by the health module on shutdown
  await app.get(GrpcHealthServer).listen({ serviceName: SERVICE_NAME, port: config.common.grpcPort });
}

bootstrap().catch((error: unknown) => {
  logBootFailure(SERVICE_NAME, error);
  process.exit(1);
});
