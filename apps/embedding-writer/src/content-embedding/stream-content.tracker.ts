import { NowcastEvent } from '@app/contracts';
import { StreamContent } from '@app/embeddings';

/**
 * The current content (title, category, tags, language) of each live stream, so a partial
 * `stream.updated` can be embedded with the fields it left unchanged. Call `contentFor` for each
 * event in order: it returns the content to embed (or undefined) and records it.
 */
export class StreamContentTracker {
  private readonly contents = new Map<string, StreamContent>();

  contentFor(event: NowcastEvent): StreamContent | undefined {
    if (event.type === 'stream.started') {
      const d = event.data;
      const content = { title: d.title, category: d.category, tags: d.tags, language: d.language };
      this.contents.set(d.streamId, content);
      return content;
    }
    if (event.type === 'stream.updated') {
      const d = event.data;
      const current = this.contents.get(d.streamId);
      if (!current) return undefined;
      const content: StreamContent = {
        title: d.title ?? current.title,
        category: d.category ?? current.category,
        tags: d.tags ?? current.tags,
        language: d.language ?? current.language,
      };
      this.contents.set(d.streamId, content);
      return content;
    }
    if (event.type === 'stream.ended' || event.type === 'stream.removed' || event.type === 'stream.expired') {
      this.contents.delete(event.data.streamId);
    }
    return undefined;
  }
}
