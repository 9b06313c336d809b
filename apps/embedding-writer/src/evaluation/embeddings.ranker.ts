import { NowcastEvent } from '@app/contracts';
import { LiveCandidate, Ranker, orderByScore } from '@app/evaluation';
import { HashingContentEmbeddingProvider } from '@app/embeddings';
import { StreamContentTracker } from '../content-embedding/stream-content.tracker';
import { dot } from '@app/embeddings';
import {
  DEFAULT_EMBEDDING_MODEL_OPTIONS,
  EmbeddingModelOptions,
  EmbeddingModelService,
} from '../embedding-model/embedding-model.service';

/**
 * Embeddings-only ranker for the offline harness: the writer's own model, in process, fed the
 * same events; score = cosine(user vector, live stream vector). A user without a vector gets the
 * candidates in id order (no signal: this ranker uses nothing but the embeddings).
 */
export class EmbeddingsRanker implements Ranker {
  readonly name = 'embeddings';
  readonly model: EmbeddingModelService;
  private readonly content: HashingContentEmbeddingProvider;
  private readonly contents = new StreamContentTracker();

  constructor(options: Partial<EmbeddingModelOptions> = {}) {
    this.model = new EmbeddingModelService({ ...DEFAULT_EMBEDDING_MODEL_OPTIONS, ...options });
    this.content = new HashingContentEmbeddingProvider(this.model.options.dimension);
  }

  observe(event: NowcastEvent): void {
    const content = this.contents.contentFor(event);
    this.model.apply(event, content ? this.content.embedOne(content) : undefined);
    // the harness never publishes: forget the change set so it does not grow
    if (this.model.pending > 10_000) this.model.drain(true);
  }

  rank(userId: string, candidates: readonly LiveCandidate[]): readonly string[] {
    const user = this.model.users.vectorOf(userId);
    if (!user) return orderByScore(candidates, () => 0);
    return orderByScore(candidates, (c) => {
      const stream = this.model.streamVector(c.streamId);
      return stream ? dot(user, stream) : -2;
    });
  }
}
