import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { EnvGroup } from './env-schema';
import { EnvVar } from './env-var.decorator';
import { IsUrlWithProtocol } from './env.validators';

export class QdrantEnvDto {
  @EnvVar({ description: 'Qdrant REST URL; unset = no Qdrant (the in-process index is used).' })
  @IsOptional()
  @IsUrlWithProtocol(['http:', 'https:'])
  QDRANT_URL?: string;

  @EnvVar({ description: 'Qdrant API key, if the server requires one.', secret: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  QDRANT_API_KEY?: string;
}

export interface QdrantConnectionConfig {
  url: string;
  apiKey?: string;
}

/** QDRANT_URL / QDRANT_API_KEY; the section is `undefined` when QDRANT_URL is unset. */
export function qdrantEnv(): EnvGroup<QdrantEnvDto, QdrantConnectionConfig | undefined> {
  return {
    dto: QdrantEnvDto,
    defaults: {},
    toConfig: (dto) =>
      dto.QDRANT_URL === undefined
        ? undefined
        : { url: dto.QDRANT_URL, ...(dto.QDRANT_API_KEY ? { apiKey: dto.QDRANT_API_KEY } : {}) },
  };
}
