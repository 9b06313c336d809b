import { BadRequestException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CandidateQuery,
  CandidateService,
  FAILED,
  SearchHit,
  concatCandidates,
} from '../candidates/candidate.service';
import { WatermarkTracker } from '../freshness/watermark.tracker';
import { RankingService } from '../ranking/ranking.service';
import { RankedItem, RankingProfile, RankingSignal } from '../ranking/ranking.types';
import { UserStateRepository } from '../user-state/user-state.repository';
import { InvalidCursorError, decodeCursor, encodeCursor } from './feed-cursor';
import { FeedPage } from './feed-response.json';
import { FeedItemDto, FeedQueryDto } from './feed.dto';

export interface FeedSettings {
  defaultLimit: number;
  deadlineMs: number;
  vectorCandidates: number;
  trendingCandidates: number;
  minAsOfWaitMs: number;
}

/**
 * GET /v1/users/{id}/feed: one pipelined Redis read for the user, candidates from the vector
 * index + the user's sellers + trending, the pure ranker, a cursor of what the chain served.
 */
export class FeedService {
  constructor(
    private readonly users: UserStateRepository,
    private readonly candidates: CandidateService,
    private readonly ranking: RankingService,
    private readonly freshness: WatermarkTracker,
    private readonly profile: RankingProfile,
    private readonly settings: FeedSettings,
  ) {}

  /** The page as ranked (feedPageJson writes it; `toItem` is each item's DTO, as documented). */
  async feed(userId: string, query: FeedQueryDto, preferredLanguage?: string): Promise<FeedPage> {
    let served: string[];
    try {
      served = decodeCursor(query.cursor);
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new BadRequestException([error.message]);
      throw error;
    }
    const limit = query.limit ?? this.settings.defaultLimit;
    let stale = false;
    if (query.minAsOf !== undefined) {
      stale = !(await this.freshness.waitFor(query.minAsOf, this.settings.minAsOfWaitMs));
    }
    const state = await this.users.read(userId, this.settings.deadlineMs);
    const cold =
      state.vector === null && state.signals.sellerWeights.size === 0 && state.signals.follows.size === 0;
    // a first page without exclusions (most requests) shares one empty set
    const excludeStreamIds = served.length > 0 ? new Set(served) : NONE;
    const excludeSellerIds = query.excludeSellerIds?.length ? new Set(query.excludeSellerIds) : NONE;
    // one literal per query, not `{ ...base, language }`: on Node 20 (V8 11.3) a spread followed by
    // another property gives each object a hidden class of its own, and the scavenger keeps such a
    // class (and through it the request) alive until the next full GC: measured, it made every
    // request's graph survive two scavenges and be promoted
    const queryOf = (language: string | undefined): CandidateQuery => ({
      vector: state.vector,
      user: state.signals,
      category: query.category,
      language,
      excludeSellerIds,
      excludeStreamIds,
      vectorLimit: this.settings.vectorCandidates,
      trendingLimit: Math.max(this.settings.trendingCandidates, limit * 2),
    });
    const q = queryOf(query.language);
    // the store's promise awaited here, not through an async gather: fewer promises per request
    const search = this.candidates.search(q);
    let hits: readonly SearchHit[] | null = null;
    if (search.hits !== null) {
      try {
        hits = await search.hits;
      } catch {
        hits = FAILED;
      }
    }
    let gathered = this.candidates.assemble(q, hits, search.ready);
    if (cold && query.language === undefined && preferredLanguage !== undefined) {
      // language-aware cold start (no state: new user, or Redis down): only the viewer's language
      // (Accept-Language) when a full page of it is live, else it is merged with the rest
      // (no vector, so nothing to search: the other sources are read at once, no await)
      const ownQuery = queryOf(preferredLanguage);
      const own = this.candidates.assemble(ownQuery, null, this.candidates.search(ownQuery).ready);
      gathered = own.candidates.length >= limit ? own : concatCandidates(own, gathered);
    }
    const { items: ranked, liveCount } = this.ranking.rankPage({
      candidates: gathered.candidates,
      similarities: gathered.similarities,
      keys: gathered.keys,
      user: state.signals,
      profile: this.profile,
      now: Date.now(),
      limit,
      // taken with the candidates above, in this same synchronous step (no await since)
      live: gathered.live,
    });
    const more = ranked.length > 0 && liveCount > ranked.length;
    return {
      // the ranked items as they are: feedPageJson writes each one's toItem DTO without building it
      items: ranked,
      asOf: this.freshness.asOf(),
      generatedAt: Date.now(),
      requestId: randomUUID(),
      rankingProfile: this.profile.name,
      nextCursor: more ? encodeCursor([...served, ...ranked.map((r) => r.candidate.streamId)]) : null,
      stale,
      degraded: state.degraded || gathered.degraded,
    };
  }
}

/** No streams or sellers to exclude (shared, never mutated). */
const NONE: ReadonlySet<string> = new Set<string>();

/** An item of the response as documented (FeedItemDto): what feedPageJson writes for `item`. */
export function toItem(item: RankedItem): FeedItemDto {
  const r = item.reasons;
  // one literal in RANKING_SIGNALS order (the response schema's order): no keyed store per signal
  const reasons: Record<RankingSignal, number> = {
    similarity: round(r.similarity),
    repeat: round(r.repeat),
    follow: round(r.follow),
    category: round(r.category),
    viewers: round(r.viewers),
    velocity: round(r.velocity),
    bids: round(r.bids),
    chats: round(r.chats),
    gmv: round(r.gmv),
    freshness: round(r.freshness),
    shownIgnored: round(r.shownIgnored),
  };
  return {
    streamId: item.candidate.streamId,
    sellerId: item.candidate.sellerId,
    title: item.candidate.title,
    category: item.candidate.category,
    score: round(item.score),
    reasons,
  };
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4 || 0;
