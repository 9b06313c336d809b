export { CONTENT_EMBEDDING_PROVIDER } from './content-embedding.provider';
export type { ContentEmbeddingProvider, StreamContent } from './content-embedding.provider';
export { createContentEmbeddingProvider } from './content-embedding.factory';
export type { ContentProviderConfig } from './content-embedding.factory';
export { CONTENT_PROVIDERS, ContentEmbeddingEnvDto, contentEmbeddingEnv } from './content-embedding.env';
export type { ContentEmbeddingSettings, ContentProviderKind } from './content-embedding.env';
export {
  CONTENT_FEATURE_WEIGHTS,
  HashingContentEmbeddingProvider,
  tokenize,
} from './hashing-content.provider';
export {
  EmbeddingServiceUnavailableError,
  OpenAiContentEmbeddingProvider,
  contentText,
} from './openai-content.provider';
export type { OpenAiContentProviderOptions } from './openai-content.provider';
export * from './embedding.math';
