import { normalizeInPlace } from './embedding.math';
import { ContentEmbeddingProvider, StreamContent } from './content-embedding.provider';

export interface OpenAiContentProviderOptions {
  /** Base URL of an OpenAI-compatible server, e.g. https://api.openai.com (`/v1/embeddings` is appended). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  dimension: number;
  /** Per-request deadline, ms. */
  timeoutMs?: number;
}

/** The embedding service failed or timed out: an unavailable dependency (retried by the batch). */
export class EmbeddingServiceUnavailableError extends Error {
  override readonly name = 'EmbeddingServiceUnavailableError';
}

interface EmbeddingsResponse {
  data?: { index?: number; embedding?: unknown }[];
}

/** The text sent for a stream: what a general-purpose text embedding model reads best. */
export function contentText(content: StreamContent): string {
  const tags = content.tags.length > 0 ? ` Tags: ${content.tags.join(', ')}.` : '';
  return `${content.title}. Category: ${content.category}.${tags} Language: ${content.language}.`;
}

/**
 * Content embeddings from an OpenAI-compatible `POST /v1/embeddings` (OpenAI, vLLM, Ollama,
 * text-embeddings-inference...). Asks for `dimensions` = our dimension; a longer answer is
 * truncated and re-normalised (valid for Matryoshka-trained models), a shorter one is refused.
 */
export class OpenAiContentEmbeddingProvider implements ContentEmbeddingProvider {
  readonly dimension: number;

  constructor(private readonly options: OpenAiContentProviderOptions) {
    this.dimension = options.dimension;
  }

  async embed(contents: readonly StreamContent[]): Promise<Float32Array[]> {
    if (contents.length === 0) return [];
    const url = new URL('/v1/embeddings', this.options.baseUrl).toString();
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: this.options.model,
          input: contents.map(contentText),
          dimensions: this.dimension,
          encoding_format: 'float',
        }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new EmbeddingServiceUnavailableError(
        `embedding service unreachable: ${(error as Error).message}`,
      );
    }
    if (!response.ok) {
      throw new EmbeddingServiceUnavailableError(`embedding service answered ${response.status}`);
    }
    const body = (await response.json()) as EmbeddingsResponse;
    const out: Float32Array[] = new Array<Float32Array>(contents.length);
    for (const [position, item] of (body.data ?? []).entries()) {
      const index = item.index ?? position;
      if (!Array.isArray(item.embedding) || index < 0 || index >= contents.length) continue;
      const values = item.embedding as unknown[];
      if (values.length < this.dimension) {
        throw new EmbeddingServiceUnavailableError(
          `embedding has ${values.length} dimensions, fewer than the configured ${this.dimension}`,
        );
      }
      const vector = new Float32Array(this.dimension);
      for (let i = 0; i < this.dimension; i++) {
        const value = values[i];
        vector[i] = typeof value === 'number' ? value : 0;
      }
      out[index] = normalizeInPlace(vector);
    }
    for (let i = 0; i < out.length; i++) {
      if (out[i] === undefined) throw new EmbeddingServiceUnavailableError(`no embedding for input ${i}`);
    }
    return out;
  }
}
