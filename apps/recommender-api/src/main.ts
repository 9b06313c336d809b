import { APP_CONFIG } from '@app/config';
import { logBootFailure } from '@app/observability';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { RecommenderApiConfig, SERVICE_NAME } from './config/recommender-api.config';
import { RecommenderApiModule } from './recommender-api.module';
import { setupSwagger } from './swagger.setup';

// The one place that reads process.env: the root module validates it once.
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(
    RecommenderApiModule.forRoot(process.env),
    new FastifyAdapter(),
    {
      bufferLogs: true,
    },
  );
  app.useLogger(app.get(Logger));
  // exit 0 after a clean shutdown (the default re-raises the signal: exit code 143)
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  setupSwagger(app);
  const config = app.get<RecommenderApiConfig>(APP_CONFIG);
  await app.listen(config.common.port, '0.0.0.0');
}

bootstrap().catch((error: unknown) => {
  logBootFailure(SERVICE_NAME, error);
  process.exit(1);
});
