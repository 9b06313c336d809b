import { EventEnvelope, NowcastEvent } from '@app/contracts';
import { EventSink } from './sinks/event-sink';

/** One item of GET /v1/users/{id}/feed (the fields a simulated user looks at). */
export interface FeedClientItem {
  streamId: string;
  sellerId: string;
  title: string;
  category: string;
  score: number;
  reasons: Record<string, number>;
}

export interface FeedClientPage {
  items: FeedClientItem[];
  requestId: string;
  nextCursor: string | null;
  asOf: number | null;
  rankingProfile: string;
  stale: boolean;
  degraded: boolean;
}

export interface FeedClientOptions {
  /** The recommender-api base URL, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** Sent as X-API-Key (a `read` key); omit against an open development API. */
  apiKey?: string;
  /** Items per page. Default 20. */
  limit?: number;
  /** Per-request timeout, ms. Default 2,000. */
  timeoutMs?: number;
  /** Where the reactions go (e.g. the KafkaSink of the simulation, or the ingress). */
  sink: EventSink;
  /** Deterministic randomness of the reactions (the simulator's seeded PRNG). */
  random: () => number;
  /** Ids of the reaction events (the simulator's EventIdFactory.next). */
  nextEventId: () => string;
  /** Probability a user opens the top item; lower positions decay as 1 / (1 + position). Default 0.3. */
  clickProbability?: number;
}

export class FeedRequestError extends Error {
  override readonly name = 'FeedRequestError';
}

/**
 * The simulator's feed client: a simulated user asks for their feed and reacts like a person does
 * - one `rec.impression` for the page, and maybe a `rec.clicked` on one item (position-biased),
 * echoing the response's requestId - so the recommender's feedback loop (shown-and-ignored sinks,
 * clicks forgive) runs in the demo and the benchmarks.
 */
export class FeedClient {
  private readonly limit: number;
  private readonly timeoutMs: number;
  private readonly clickProbability: number;

  constructor(private readonly options: FeedClientOptions) {
    this.limit = options.limit ?? 20;
    this.timeoutMs = options.timeoutMs ?? 2_000;
    this.clickProbability = options.clickProbability ?? 0.3;
  }

  async fetchFeed(
    userId: string,
    params: { cursor?: string; category?: string; language?: string } = {},
  ): Promise<FeedClientPage> {
    const query = new URLSearchParams({ limit: String(this.limit) });
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
    const url = `${this.options.baseUrl}/v1/users/${encodeURIComponent(userId)}/feed?${query.toString()}`;
    const response = await fetch(url, {
      headers: this.options.apiKey ? { 'x-api-key': this.options.apiKey } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new FeedRequestError(`feed of ${userId} answered ${response.status}`);
    return (await response.json()) as FeedClientPage;
  }

  /** The events a user emits after seeing `page` at `now` (epoch ms): impression, maybe a click. */
  react(userId: string, page: FeedClientPage, now: number): NowcastEvent[] {
    if (page.items.length === 0) return [];
    const impression: EventEnvelope<'rec.impression'> = {
      eventId: this.options.nextEventId(),
      type: 'rec.impression',
      schemaVersion: 1,
      occurredAt: now,
      data: { userId, requestId: page.requestId, streamIds: page.items.map((i) => i.streamId) },
    };
    const events: NowcastEvent[] = [impression];
    for (let position = 0; position < page.items.length; position++) {
      if (this.options.random() < this.clickProbability / (1 + position)) {
        const click: EventEnvelope<'rec.clicked'> = {
          eventId: this.options.nextEventId(),
          type: 'rec.clicked',
          schemaVersion: 1,
          occurredAt: now + 1,
          data: { userId, requestId: page.requestId, streamId: page.items[position].streamId },
        };
        events.push(click);
        break;
      }
    }
    return events;
  }

  /** Fetch, react, and write the reactions to the sink; returns the page. */
  async visit(userId: string, now: number = Date.now()): Promise<FeedClientPage> {
    const page = await this.fetchFeed(userId);
    const events = this.react(userId, page, now);
    if (events.length > 0) await this.options.sink.write(events);
    return page;
  }
}
