import { hash32, normalizeInPlace } from './embedding.math';
import { ContentEmbeddingProvider, StreamContent } from './content-embedding.provider';

/** Feature weights: the category says most about a live show, then tags, title words, language. */
export const CONTENT_FEATURE_WEIGHTS = { title: 1, titleBigram: 0.5, category: 2, tag: 1.2, language: 1 };

/** Seeds of the two hashes: one picks the bucket, the other the sign (the signed hashing trick). */
const INDEX_SEED = 0x9e3779b9;
const SIGN_SEED = 0x7f4a7c15;

/** Lower-cased letter/digit runs of a text (unicode aware), at most 64 of them. */
export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 64);
}

/**
 * Content embeddings by the signed feature-hashing trick (Weinberger et al. 2009): each feature
 * (title word, title bigram, category, tag, language) adds +-weight to one of `dimension`
 * buckets; the sign hash makes collisions cancel in expectation. Deterministic, no model, no I/O.
 */
export class HashingContentEmbeddingProvider implements ContentEmbeddingProvider {
  constructor(readonly dimension: number) {}

  embed(contents: readonly StreamContent[]): Promise<Float32Array[]> {
    return Promise.resolve(contents.map((c) => this.embedOne(c)));
  }

  embedOne(content: StreamContent): Float32Array {
    const out = new Float32Array(this.dimension);
    const add = (feature: string, weight: number) => {
      const bucket = hash32(feature, INDEX_SEED) % this.dimension;
      const sign = (hash32(feature, SIGN_SEED) & 1) === 0 ? 1 : -1;
      out[bucket] += sign * weight;
    };
    const words = tokenize(content.title);
    for (let i = 0; i < words.length; i++) {
      add(`w:${words[i]}`, CONTENT_FEATURE_WEIGHTS.title);
      if (i > 0) add(`b:${words[i - 1]}_${words[i]}`, CONTENT_FEATURE_WEIGHTS.titleBigram);
    }
    if (content.category) add(`c:${content.category.toLowerCase()}`, CONTENT_FEATURE_WEIGHTS.category);
    for (const tag of content.tags.slice(0, 32)) add(`t:${tag.toLowerCase()}`, CONTENT_FEATURE_WEIGHTS.tag);
    if (content.language) add(`l:${content.language.toLowerCase()}`, CONTENT_FEATURE_WEIGHTS.language);
    return normalizeInPlace(out);
  }
}
