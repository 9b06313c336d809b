import { ContentProviderConfig, createContentEmbeddingProvider } from '@app/embeddings';
import { QueryEmbedder } from './streams.service';

/**
 * Free text -> the content embedding of a "stream" whose title is the text, with the provider the
 * writer is configured with (hashing or openai), so queries and stream contents share one space.
 */
export function contentQueryEmbedder(config: ContentProviderConfig): QueryEmbedder {
  const provider = createContentEmbeddingProvider(config);
  return {
    async embed(text: string, language?: string): Promise<Float32Array> {
      const [vector] = await provider.embed([
        { title: text, category: '', tags: [], language: language ?? '' },
      ]);
      return vector;
    },
  };
}
