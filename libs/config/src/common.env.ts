import { IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';
import { EnvGroup } from './env-schema';
import { EnvVar } from './env-var.decorator';
import { ToNumber } from './env.validators';

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class CommonEnvDto {
  @EnvVar({ description: 'Runtime environment; production turns on stricter checks.' })
  @IsIn(NODE_ENVS)
  NODE_ENV!: NodeEnv;

  @EnvVar({ description: 'Minimum pino log level.' })
  @IsIn(LOG_LEVELS)
  LOG_LEVEL!: LogLevel;

  @EnvVar({ description: 'HTTP port (health, metrics, API); 0 picks a free port.' })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT!: number;

  @EnvVar({ description: 'gRPC port (grpc.health.v1 and internal APIs); 0 picks a free port.' })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(65535)
  GRPC_PORT!: number;

  @EnvVar({ description: 'A request taking at least this long is logged at warn, whatever its status (ms).' })
  @ToNumber()
  @IsInt()
  @Min(1)
  LOG_SLOW_REQUEST_MS!: number;

  @EnvVar({
    description:
      'Share of fast successful requests logged at info, 0..1 (errors and slow requests are always logged; health and metrics never).',
  })
  @ToNumber()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  LOG_REQUEST_SAMPLE_RATE!: number;
}

export interface CommonConfig {
  nodeEnv: NodeEnv;
  logLevel: LogLevel;
  port: number;
  grpcPort: number;
  /** Access logging: slow threshold (ms) and the sampled share of fast successful requests. */
  requestLog: { slowMs: number; sampleRate: number };
}

/** NODE_ENV, LOG_LEVEL, PORT, GRPC_PORT, request-log knobs; each app passes its own default ports. */
export function commonEnv(defaults: {
  port: number;
  grpcPort: number;
}): EnvGroup<CommonEnvDto, CommonConfig> {
  return {
    dto: CommonEnvDto,
    defaults: {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: String(defaults.port),
      GRPC_PORT: String(defaults.grpcPort),
      LOG_SLOW_REQUEST_MS: '500',
      LOG_REQUEST_SAMPLE_RATE: '0',
    },
    toConfig: (dto) => ({
      nodeEnv: dto.NODE_ENV,
      logLevel: dto.LOG_LEVEL,
      port: dto.PORT,
      grpcPort: dto.GRPC_PORT,
      requestLog: { slowMs: dto.LOG_SLOW_REQUEST_MS, sampleRate: dto.LOG_REQUEST_SAMPLE_RATE },
    }),
  };
}
