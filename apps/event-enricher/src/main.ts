import { loadConfig } from '@app/config';
import { GrpcHealthServer, ShutdownState, beginShutdownOnSignals } from '@app/health';
import { logBootFailure } from '@app/observability';
import { SERVICE_NAME, eventEnricherEnvSchema } from './config/event-enricher.config';
import { EventEnricherModule } from './event-enricher.module';
import { createEventEnricherApp, startEventEnricherApp } from './runtime/event-enricher.app';

// The one place that reads process.env: validated once, then handed to the root module.
async function bootstrap(): Promise<void> {
  const config = loadConfig(eventEnricherEnvSchema, process.env);
  // the Fastify app (ingress, health, metrics) with the raw-topic consumer attached
  const enricher = await createEventEnricherApp(EventEnricherModule.forConfig(config), config);
  const { app } = enricher;
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  // readiness (HTTP and gRPC) flips the moment the signal arrives: Nest runs the global health
  // module's own destroy hook last, after the consumers have drained
  beginShutdownOnSignals(app.get(ShutdownState), signals);
  // exit 0 after a clean shutdown (the default re-raises the signal: exit code 143); the consumer
  // stops fetching, finishes and commits its in-flight transactions before Redis is closed
  app.enableShutdownHooks(signals, { useProcessExit: true });
  await startEventEnricherApp(enricher, config.common.port, '0.0.0.0');
  // grpc.health.v1 for Kubernetes' gRPC probes; closed by the health module on shutdown
  await app.get(GrpcHealthServer).listen({ serviceName: SERVICE_NAME, port: config.common.grpcPort });
}

bootstrap().catch((error: unknown) => {
  logBootFailure(SERVICE_NAME, error);
  process.exit(1);
});
