import { ContentEmbeddingSettings } from './content-embedding.env';
import { ContentEmbeddingProvider } from './content-embedding.provider';
import { HashingContentEmbeddingProvider } from './hashing-content.provider';
import { OpenAiContentEmbeddingProvider } from './openai-content.provider';

/** The configured provider (contentEmbeddingEnv) and the dimension of the vectors it must give. */
export type ContentProviderConfig = ContentEmbeddingSettings & { dimension: number };

/** The provider chosen by config (EMBEDDING_CONTENT_PROVIDER in the writer and the recommender). */
export function createContentEmbeddingProvider(config: ContentProviderConfig): ContentEmbeddingProvider {
  switch (config.kind) {
    case 'hashing':
      return new HashingContentEmbeddingProvider(config.dimension);
    case 'openai':
      if (!config.url)
        throw new Error('EMBEDDING_OPENAI_URL is required with EMBEDDING_CONTENT_PROVIDER=openai');
      return new OpenAiContentEmbeddingProvider({
        baseUrl: config.url,
        model: config.model,
        dimension: config.dimension,
        ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      });
  }
}
