import { APP_CONFIG } from '@app/config';
import { logBootFailure } from '@app/observability';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { EmbeddingWriterConfig, SERVICE_NAME } from './config/embedding-writer.config';
import { EmbeddingWriterModule } from './embedding-writer.module';

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
  // exit 0 after a clean shutdown (the default re-raises the signal: exit code 143)
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  const config = app.get<EmbeddingWriterConfig>(APP_CONFIG);
  await app.listen(config.common.port, '0.0.0.0');
}

bootstrap().catch((error: unknown) => {
  logBootFailure(SERVICE_NAME, error);
  process.exit(1);
});
