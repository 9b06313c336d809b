import { EnvSource, loadConfig } from '@app/config';
import { serviceInfrastructure } from '@app/health';
import { DynamicModule, Module } from '@nestjs/common';
import { SERVICE_NAME, recommenderApiEnvSchema } from './config/recommender-api.config';
import { RecommenderFeaturesModule, RecommenderFeaturesOptions } from './feed/recommender-features.module';

/**
 * Root module of recommender-api. `forRoot` validates the environment once (throwing a
 * ConfigValidationError that lists every bad variable) and wires the shared libs from it.
 */
@Module({})
export class RecommenderApiModule {
  /** `overrides`: benchmarks and tests swap the stream index or skip the Kafka change feeds. */
  static forRoot(env: EnvSource, overrides: Omit<RecommenderFeaturesOptions, 'config'> = {}): DynamicModule {
    const config = loadConfig(recommenderApiEnvSchema, env);
    return {
      module: RecommenderApiModule,
      imports: [
        // no recommender handler logs through nestjs-pino's request context: without its
        // AsyncLocalStorage, promises skip Node 20's async hooks (~3 % of a feed request's CPU)
        ...serviceInfrastructure(SERVICE_NAME, config, { asyncContext: false }),
        RecommenderFeaturesModule.forRoot({ ...overrides, config }),
      ],
    };
  }
}
