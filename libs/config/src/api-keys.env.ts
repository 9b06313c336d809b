import { IsOptional } from 'class-validator';
import { ApiKeyScope, ApiKeys, parseApiKeys } from './api-keys.parser';
import { EnvGroup } from './env-schema';
import { EnvVar } from './env-var.decorator';
import { IsScopedKeys } from './env.validators';

export class ApiKeysEnvDto {
  @EnvVar({
    description:
      'Scoped API keys, e.g. ingest:k1,k2;read:k3;admin:k4 (several per scope for rotation); unset = none.',
    secret: true,
    type: 'scoped-keys',
  })
  @IsOptional()
  @IsScopedKeys()
  API_KEYS?: string;
}

/** API_KEYS parsed into keys by scope (an empty map when unset). */
export function apiKeysEnv(): EnvGroup<ApiKeysEnvDto, ApiKeys> {
  return {
    dto: ApiKeysEnvDto,
    defaults: {},
    toConfig: (dto) => {
      if (dto.API_KEYS === undefined) return new Map<ApiKeyScope, Set<string>>();
      const parsed = parseApiKeys(dto.API_KEYS);
      // validation already ran the same parser; this branch only satisfies the type
      if (!parsed.ok) throw new Error(`API_KEYS ${parsed.error}`);
      return parsed.keys;
    },
  };
}
