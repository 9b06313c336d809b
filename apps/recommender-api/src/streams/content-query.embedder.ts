// The writer's content provider, so queries and stream contents share one embedding space. It
// lives in the embedding-writer app today; it belongs in a lib (e.g. @app/embeddings) - see the
// recommender's report - and this import moves with it.
import { createContentEmbeddingProvider } from '../../../embedding-writer/src/content-embedding/content-embedding.factory';
import { QueryEmbedder } from './streams.service';

/** Free text -> the content embedding of a "stream" whose title is the text (hashing provider). */
export function contentQueryEmbedder(dimension: number): QueryEmbedder {
  const provider = createContentEmbeddingProvider({ kind: 'hashing', dimension });
  return {
    async embed(text: string, language?: string): Promise<Float32Array> {
      const [vector] = await provider.embed([
        { title: text, category: '', tags: [], language: language ?? '' },
      ]);
      return vector;
    },
  };
}
