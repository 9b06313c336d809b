import { loadConfig } from '@app/config';
import { bootstrapService, exitOnBootFailure } from '@app/health';
import { SERVICE_NAME, eventEnricherEnvSchema } from './config/event-enricher.config';
import { EventEnricherModule } from './event-enricher.module';
import { createEventEnricherApp, startEventEnricherApp } from './runtime/event-enricher.app';

// The one place that reads process.env: validated once, then handed to the root module.
async function bootstrap(): Promise<void> {
  const config = loadConfig(eventEnricherEnvSchema, process.env);
  await bootstrapService({
    serviceName: SERVICE_NAME,
    // the Fastify app (ingress, health, metrics) with the raw-topic consumer attached
    create: async () => (await createEventEnricherApp(EventEnricherModule.forConfig(config), config)).app,
    // HTTP first, then the topics, then consuming; on shutdown the consumer stops fetching,
    // finishes and commits its in-flight transactions before Redis is closed
    listen: (app, port) => startEventEnricherApp({ app }, port, '0.0.0.0'),
  });
}

bootstrap().catch(exitOnBootFailure(SERVICE_NAME));
