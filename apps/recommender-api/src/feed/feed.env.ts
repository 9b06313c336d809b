import { EnvGroup, EnvVar, ToNumber } from '@app/config';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { DEFAULT_RANKING_PROFILE, RANKING_PROFILES } from '../ranking/ranking-profiles';
import { RANKING_SIGNALS, RankingSignal } from '../ranking/ranking.types';

const WEIGHTS_PATTERN = new RegExp(
  `^((${RANKING_SIGNALS.join('|')})=\\d+(\\.\\d+)?)(,(${RANKING_SIGNALS.join('|')})=\\d+(\\.\\d+)?)*$`,
);

/** The recommender's own variables (ranking profile, budgets, candidate counts, limits). */
export class RecommenderEnvDto {
  @EnvVar({ description: 'Named ranking profile: balanced (repeat affinity first), discovery, popular.' })
  @IsIn(Object.keys(RANKING_PROFILES))
  RANKING_PROFILE!: string;

  @EnvVar({
    description: 'Per-signal weight overrides on the profile, e.g. similarity=1.5,repeat=2; unset = none.',
  })
  @IsOptional()
  @Matches(WEIGHTS_PATTERN, {
    message: `RANKING_WEIGHTS must be signal=number pairs (signals: ${RANKING_SIGNALS.join(', ')})`,
  })
  RANKING_WEIGHTS?: string;

  @EnvVar({ description: 'Diversity cap: items of one seller per feed page.' })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(100)
  FEED_MAX_PER_SELLER!: number;

  @EnvVar({ description: 'Diversity cap: items of one category per feed page.' })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(100)
  FEED_MAX_PER_CATEGORY!: number;

  @EnvVar({
    description: 'Per-request deadline of the user-state read (Redis), ms; past it the feed is degraded.',
  })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  FEED_DEADLINE_MS!: number;

  @EnvVar({ description: 'Candidates from the vector search per feed request.' })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(2_000)
  FEED_VECTOR_CANDIDATES!: number;

  @EnvVar({
    description:
      'HNSW search beam (ef) of the in-process stream index: higher = closer to exact, slower (the search costs ~ef x log n distance computations; 48 keeps recall@32 >= 0.99 on 10k streams).',
  })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(1_000)
  FEED_HNSW_EF!: number;

  @EnvVar({ description: 'Candidates from trending per feed request.' })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(2_000)
  FEED_TRENDING_CANDIDATES!: number;

  @EnvVar({ description: 'Longest a feed waits for asOf >= minAsOf before answering stale, ms.' })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(5_000)
  FEED_MIN_AS_OF_WAIT_MS!: number;

  @EnvVar({ description: 'Vector dimension (same as the writer).' })
  @ToNumber()
  @IsInt()
  @Min(8)
  @Max(4096)
  EMBEDDING_DIMENSION!: number;

  @EnvVar({ description: "Redis key prefix of the writer's user vectors (same as the writer)." })
  @IsString()
  @IsNotEmpty()
  EMBEDDING_USER_KEY_PREFIX!: string;

  @EnvVar({
    description: 'Qdrant collection of stream vectors (when QDRANT_URL is set; same as the writer).',
  })
  @IsString()
  @IsNotEmpty()
  EMBEDDING_QDRANT_STREAMS_COLLECTION!: string;

  @EnvVar({
    description: 'Per-API-key rate limit: requests per RATE_LIMIT_WINDOW_MS (bursts up to it); 0 = off.',
  })
  @ToNumber()
  @IsInt()
  @Min(0)
  RATE_LIMIT_MAX!: number;

  @EnvVar({ description: 'Rate-limit window, ms.' })
  @ToNumber()
  @IsInt()
  @Min(1)
  RATE_LIMIT_WINDOW_MS!: number;

  @EnvVar({
    description: 'Longest DELETE /v1/users/{id} waits for the erasure to be reflected, ms (then 202).',
  })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(60_000)
  ERASURE_WAIT_MS!: number;
}

export interface RecommenderSettings {
  profile: string;
  weightOverrides: Partial<Record<RankingSignal, number>>;
  maxPerSeller: number;
  maxPerCategory: number;
  deadlineMs: number;
  vectorCandidates: number;
  /** HNSW ef of the in-process replica's searches. */
  hnswEf: number;
  trendingCandidates: number;
  minAsOfWaitMs: number;
  dimension: number;
  userVectorPrefix: string;
  qdrantCollection: string;
  /** The writer's content provider, for free-text search. */
  rateLimit: { max: number; windowMs: number };
  erasureWaitMs: number;
}

export function recommenderEnv(): EnvGroup<RecommenderEnvDto, RecommenderSettings> {
  return {
    dto: RecommenderEnvDto,
    defaults: {
      RANKING_PROFILE: DEFAULT_RANKING_PROFILE,
      FEED_MAX_PER_SELLER: '1',
      FEED_MAX_PER_CATEGORY: '8',
      FEED_DEADLINE_MS: '50',
      // 32 similar streams + the user's sellers + trending: a page of 20 with caps; k=64 doubled
      // the search's CPU for no change in the pages (bench/feed.bench.ts)
      FEED_VECTOR_CANDIDATES: '32',
      FEED_HNSW_EF: '48',
      FEED_TRENDING_CANDIDATES: '50',
      FEED_MIN_AS_OF_WAIT_MS: '250',
      EMBEDDING_DIMENSION: '128',
      EMBEDDING_USER_KEY_PREFIX: 'emb:user:',
      EMBEDDING_QDRANT_STREAMS_COLLECTION: 'nowcast_streams',
      RATE_LIMIT_MAX: '1000',
      RATE_LIMIT_WINDOW_MS: '1000',
      ERASURE_WAIT_MS: '5000',
    },
    toConfig: (dto) => ({
      profile: dto.RANKING_PROFILE,
      weightOverrides: Object.fromEntries(
        (dto.RANKING_WEIGHTS ?? '')
          .split(',')
          .filter((pair) => pair !== '')
          .map((pair) => {
            const [signal, value] = pair.split('=');
            return [signal, Number(value)];
          }),
      ),
      maxPerSeller: dto.FEED_MAX_PER_SELLER,
      maxPerCategory: dto.FEED_MAX_PER_CATEGORY,
      deadlineMs: dto.FEED_DEADLINE_MS,
      vectorCandidates: dto.FEED_VECTOR_CANDIDATES,
      hnswEf: dto.FEED_HNSW_EF,
      trendingCandidates: dto.FEED_TRENDING_CANDIDATES,
      minAsOfWaitMs: dto.FEED_MIN_AS_OF_WAIT_MS,
      dimension: dto.EMBEDDING_DIMENSION,
      userVectorPrefix: dto.EMBEDDING_USER_KEY_PREFIX,
      qdrantCollection: dto.EMBEDDING_QDRANT_STREAMS_COLLECTION,
      rateLimit: { max: dto.RATE_LIMIT_MAX, windowMs: dto.RATE_LIMIT_WINDOW_MS },
      erasureWaitMs: dto.ERASURE_WAIT_MS,
    }),
  };
}
