import { StreamMetricsSnapshot } from '@app/contracts';
import { ScoredPoint, VectorPointNotFoundError } from '@app/vector-store';
import { NotFoundException } from '@nestjs/common';
import { liveFilter } from '../candidates/candidate.service';
import { StreamIndex } from '../candidates/stream-index';
import { WatermarkTracker } from '../freshness/watermark.tracker';
import { LiveMetricsCache } from '../live-metrics/live-metrics.cache';
import { LiveStreamItemDto, SearchQueryDto, StreamListDto, TrendingQueryDto } from './streams.dto';

/** Turns a free-text query into a vector of the stream index's space (the writer's content provider). */
export interface QueryEmbedder {
  embed(text: string, language?: string): Promise<Float32Array>;
}
export const QUERY_EMBEDDER = Symbol('QUERY_EMBEDDER');

const DEFAULT_LIMIT = 20;
/** Weight of live engagement (log viewers, 0..1) against similarity when re-ranking a search. */
const SEARCH_LIVE_WEIGHT = 0.25;

/** GET /v1/streams/...: lookups, similar, trending and search over the live set. */
export class StreamsService {
  constructor(
    private readonly index: StreamIndex,
    private readonly metrics: LiveMetricsCache,
    private readonly freshness: WatermarkTracker,
    private readonly embedder: QueryEmbedder,
  ) {}

  get(streamId: string): Record<string, unknown> {
    const s = this.metrics.get(streamId);
    if (!s) throw new NotFoundException(`stream ${streamId} is unknown`);
    return {
      streamId: s.streamId,
      live: s.live,
      ...(s.endReason ? { endReason: s.endReason } : {}),
      sellerId: s.sellerId,
      title: s.title,
      category: s.category,
      language: s.language,
      startedAt: s.startedAt,
      ...(s.endedAt !== undefined ? { endedAt: s.endedAt } : {}),
      metrics: {
        viewers: s.viewers,
        peakViewers: s.peakViewers,
        uniqueViewers: s.uniqueViewers,
        viewerVelocity: s.viewerVelocity,
        engagementScore: s.engagementScore,
        rates: s.rates,
      },
      lifetime: s.lifetime,
      lastEventAt: s.lastEventAt,
      asOf: this.freshness.asOf(),
    };
  }

  trending(q: TrendingQueryDto): StreamListDto {
    const items = this.metrics
      .trending({ category: q.category, language: q.language, limit: q.limit ?? DEFAULT_LIMIT })
      .map((s) => item(s, s.engagementScore));
    return this.list(items, false);
  }

  async similar(streamId: string, limit = DEFAULT_LIMIT): Promise<StreamListDto> {
    const known = this.metrics.get(streamId);
    let hits: ScoredPoint[] = [];
    let degraded = !this.index.ready();
    try {
      hits = await this.index.store.searchByPointId({
        id: streamId,
        filter: liveFilter({ excludeSellerIds: new Set() }),
        limit,
      });
    } catch (error) {
      if (error instanceof VectorPointNotFoundError) {
        // an ended stream has no vector any more: known -> nothing similar live, else 404
        if (!known) throw new NotFoundException(`stream ${streamId} is unknown`);
      } else degraded = true;
    }
    return this.list(this.withMetrics(hits), degraded);
  }

  async search(q: SearchQueryDto): Promise<StreamListDto> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    let degraded = !this.index.ready();
    let hits: ScoredPoint[] = [];
    try {
      const vector = await this.embedder.embed(q.q, q.language);
      hits = await this.index.store.search({
        vector,
        filter: liveFilter({ language: q.language, excludeSellerIds: new Set() }),
        limit: limit * 3,
      });
    } catch {
      degraded = true;
    }
    const items = this.withMetrics(hits)
      .map((i) => ({
        ...i,
        score: i.score + SEARCH_LIVE_WEIGHT * Math.min(1, Math.log1p(i.viewers) / Math.log1p(1000)),
      }))
      .sort((a, b) => b.score - a.score || (a.streamId < b.streamId ? -1 : 1))
      .slice(0, limit);
    return this.list(items, degraded);
  }

  private withMetrics(hits: readonly ScoredPoint[]): LiveStreamItemDto[] {
    const out: LiveStreamItemDto[] = [];
    for (const hit of hits) {
      const s = this.metrics.get(hit.id);
      if (s && !s.live) continue; // the metrics feed already saw it end
      if (s) out.push(item(s, hit.score));
      else if (hit.payload?.live === true) {
        const p = hit.payload;
        out.push({
          streamId: hit.id,
          sellerId: text(p.sellerId),
          title: text(p.title),
          category: text(p.category),
          language: text(p.language),
          viewers: 0,
          engagementScore: 0,
          startedAt: typeof p.startedAt === 'number' ? p.startedAt : 0,
          score: hit.score,
        });
      }
    }
    return out;
  }

  private list(items: LiveStreamItemDto[], degraded: boolean): StreamListDto {
    return { items, asOf: this.freshness.asOf(), generatedAt: Date.now(), degraded };
  }
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function item(s: StreamMetricsSnapshot, score: number): LiveStreamItemDto {
  return {
    streamId: s.streamId,
    sellerId: s.sellerId,
    title: s.title,
    category: s.category,
    language: s.language,
    viewers: s.viewers,
    engagementScore: s.engagementScore,
    startedAt: s.startedAt,
    score: Math.round(score * 1e4) / 1e4,
  };
}
