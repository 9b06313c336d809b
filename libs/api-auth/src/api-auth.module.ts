import { DynamicModule, Module } from '@nestjs/common';
import { API_AUTH_OPTIONS, ApiAuthOptions } from './api-auth.options';
import { ApiKeyGuard } from './api-key.guard';

/**
 * Global: provides ApiKeyGuard (instantiated at boot, so a production app without keys fails to
 * start). Controllers opt in with `@UseGuards(ApiKeyGuard)` + `@RequireScope(...)`; health and
 * metrics endpoints stay unauthenticated.
 */
@Module({})
export class ApiAuthModule {
  static forRoot(options: ApiAuthOptions): DynamicModule {
    return {
      module: ApiAuthModule,
      global: true,
      providers: [{ provide: API_AUTH_OPTIONS, useValue: options }, ApiKeyGuard],
      exports: [API_AUTH_OPTIONS, ApiKeyGuard],
    };
  }
}
