import { DynamicModule, Inject, Module } from '@nestjs/common';

/** Injection token of the app's frozen, typed config (`ConfigOf<typeof schema>`). */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** `@InjectConfig() config: EventEnricherConfig` */
export const InjectConfig = (): PropertyDecorator & ParameterDecorator => Inject(APP_CONFIG);

/**
 * Provides the config an app's root module loaded (once, with loadConfig) to every module of
 * the app. Global, so feature modules inject it without importing anything.
 */
@Module({})
export class ConfigModule {
  static forRoot<T extends object>(config: T): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
