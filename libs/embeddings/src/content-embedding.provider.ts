/** What a stream's content embedding is computed from. */
export interface StreamContent {
  title: string;
  category: string;
  tags: readonly string[];
  language: string;
}

/**
 * Turns stream content (or a free-text query: title only) into a unit vector of `dimension`.
 * Implementations: HashingContentEmbeddingProvider (deterministic, in-process) and
 * OpenAiContentEmbeddingProvider (an OpenAI-compatible `/v1/embeddings` over HTTP).
 */
export interface ContentEmbeddingProvider {
  readonly dimension: number;
  embed(contents: readonly StreamContent[]): Promise<Float32Array[]>;
}

/** Nest injection token of the configured provider. */
export const CONTENT_EMBEDDING_PROVIDER = Symbol('CONTENT_EMBEDDING_PROVIDER');
