import { EnvGroup, EnvVar, IsUrlWithProtocol } from '@app/config';
import { IsIn, IsNotEmpty, IsOptional, IsString } from 'class-validator';

export const CONTENT_PROVIDERS = ['hashing', 'openai'] as const;
export type ContentProviderKind = (typeof CONTENT_PROVIDERS)[number];

/**
 * The content embedding provider's variables, one group in the writer's and the recommender's
 * schemas: stream texts (writer) and search queries (recommender) must be embedded by the same
 * provider and model to share one space.
 */
export class ContentEmbeddingEnvDto {
  @EnvVar({
    description:
      'Content embedding provider: hashing (in-process) | openai (OpenAI-compatible /v1/embeddings). The writer (stream texts) and the recommender (search queries) must use the same one.',
  })
  @IsIn(CONTENT_PROVIDERS)
  EMBEDDING_CONTENT_PROVIDER!: ContentProviderKind;

  @EnvVar({ description: 'Base URL of the OpenAI-compatible embedding service (provider openai).' })
  @IsOptional()
  @IsUrlWithProtocol(['http:', 'https:'])
  EMBEDDING_OPENAI_URL?: string;

  @EnvVar({ description: 'Model name sent to the embedding service (provider openai).' })
  @IsString()
  @IsNotEmpty()
  EMBEDDING_OPENAI_MODEL!: string;

  @EnvVar({ description: 'API key of the embedding service (provider openai).', secret: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  EMBEDDING_OPENAI_API_KEY?: string;
}

/** The provider as configured; with the vector dimension it is a ContentProviderConfig. */
export type ContentEmbeddingSettings =
  { kind: 'hashing' } | { kind: 'openai'; url?: string; model: string; apiKey?: string };

export function contentEmbeddingEnv(): EnvGroup<ContentEmbeddingEnvDto, ContentEmbeddingSettings> {
  return {
    dto: ContentEmbeddingEnvDto,
    defaults: { EMBEDDING_CONTENT_PROVIDER: 'hashing', EMBEDDING_OPENAI_MODEL: 'text-embedding-3-small' },
    toConfig: (dto) =>
      dto.EMBEDDING_CONTENT_PROVIDER === 'openai'
        ? {
            kind: 'openai',
            model: dto.EMBEDDING_OPENAI_MODEL,
            ...(dto.EMBEDDING_OPENAI_URL ? { url: dto.EMBEDDING_OPENAI_URL } : {}),
            ...(dto.EMBEDDING_OPENAI_API_KEY ? { apiKey: dto.EMBEDDING_OPENAI_API_KEY } : {}),
          }
        : { kind: 'hashing' },
  };
}
