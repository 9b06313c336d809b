import { EnvSource, loadConfig } from '@app/config';
import { serviceInfrastructure } from '@app/health';
import { DynamicModule, Module } from '@nestjs/common';
import { SERVICE_NAME, embeddingWriterEnvSchema } from './config/embedding-writer.config';
import { EmbeddingWriterFeatureModule } from './writer/embedding-writer-feature.module';

/**
 * Root module of embedding-writer. `forRoot` validates the environment once (throwing a
 * ConfigValidationError that lists every bad variable) and wires the shared libs from it.
 */
@Module({})
export class EmbeddingWriterModule {
  static forRoot(env: EnvSource): DynamicModule {
    const config = loadConfig(embeddingWriterEnvSchema, env);
    return {
      module: EmbeddingWriterModule,
      imports: [
        ...serviceInfrastructure(SERVICE_NAME, config),
        EmbeddingWriterFeatureModule.forRoot({ ...config, serviceName: SERVICE_NAME }),
      ],
    };
  }
}
