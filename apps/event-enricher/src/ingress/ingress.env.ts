import { EnvGroup, EnvVar, ToNumber } from '@app/config';
import { IsInt, Max, Min } from 'class-validator';

export class IngressEnvDto {
  @EnvVar({ description: 'Largest POST /v1/events body, bytes (413 above).' })
  @ToNumber()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  INGRESS_BODY_LIMIT_BYTES!: number;

  @EnvVar({ description: 'Requests per API key per rate window (429 with Retry-After above).' })
  @ToNumber()
  @IsInt()
  @Min(1)
  INGRESS_RATE_LIMIT_MAX!: number;

  @EnvVar({ description: 'Rate limit window, ms (the bucket refills max requests per window).' })
  @ToNumber()
  @IsInt()
  @Min(100)
  INGRESS_RATE_LIMIT_WINDOW_MS!: number;
}

export interface IngressSettings {
  bodyLimitBytes: number;
  rateLimitMax: number;
  rateLimitWindowMs: number;
}

export function ingressEnv(): EnvGroup<IngressEnvDto, IngressSettings> {
  return {
    dto: IngressEnvDto,
    defaults: {
      INGRESS_BODY_LIMIT_BYTES: String(1024 * 1024),
      INGRESS_RATE_LIMIT_MAX: '600',
      INGRESS_RATE_LIMIT_WINDOW_MS: '60000',
    },
    toConfig: (dto) => ({
      bodyLimitBytes: dto.INGRESS_BODY_LIMIT_BYTES,
      rateLimitMax: dto.INGRESS_RATE_LIMIT_MAX,
      rateLimitWindowMs: dto.INGRESS_RATE_LIMIT_WINDOW_MS,
    }),
  };
}
