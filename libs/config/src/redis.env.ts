import { IsOptional, IsString, Matches } from 'class-validator';
import { EnvGroup } from './env-schema';
import { EnvVar } from './env-var.decorator';
import { IsUrlWithProtocol } from './env.validators';

export class RedisEnvDto {
  @EnvVar({
    description: 'Redis URL (redis:// or rediss:// for TLS; credentials may be in the URL).',
    secret: true,
  })
  @IsUrlWithProtocol(['redis:', 'rediss:'])
  REDIS_URL!: string;

  @EnvVar({
    description: 'Prefix for every Redis key (to share one Redis between deployments); unset = none.',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9:._-]+$/, { message: 'REDIS_KEY_PREFIX may only hold letters, digits and : . _ -' })
  REDIS_KEY_PREFIX?: string;
}

export interface RedisConnectionConfig {
  url: string;
  keyPrefix?: string;
}

/** REDIS_URL (default the local development Redis) and REDIS_KEY_PREFIX. */
export function redisEnv(): EnvGroup<RedisEnvDto, RedisConnectionConfig> {
  return {
    dto: RedisEnvDto,
    defaults: { REDIS_URL: 'redis://127.0.0.1:6379' },
    toConfig: (dto) => ({
      url: dto.REDIS_URL,
      ...(dto.REDIS_KEY_PREFIX ? { keyPrefix: dto.REDIS_KEY_PREFIX } : {}),
    }),
  };
}
