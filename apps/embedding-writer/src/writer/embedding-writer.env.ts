import {
  DEFAULT_USER_IDLE_TTL_SEC,
  EVENT_TOPIC_RETENTION_MS,
  EnvGroup,
  EnvVar,
  IsUserIdleTtlSec,
  ToBoolean,
  ToNumber,
} from '@app/config';
import { IsBoolean, IsInt, IsNotEmpty, IsNumber, IsString, Matches, Max, Min } from 'class-validator';

/**
 * Default interval of the user topic's records, ms: each user's latest vector about once a minute
 * (Redis, which the recommender reads, keeps EMBEDDING_COALESCE_MS). On the simulator's workload at
 * 2,000 events/s a user engages a few times a minute: 100 ms -> 0.92 records per event, 5 s -> 0.78,
 * 30 s -> 0.45, 60 s -> 0.31.
 */
export const DEFAULT_USER_TOPIC_MS = 60_000;

/** The embedding-writer's own variables (see apps/embedding-writer/README.md for the model). */
export class EmbeddingWriterEnvDto {
  @EnvVar({ description: 'Consumer group on the enriched topic (single active instance).' })
  @IsString()
  @IsNotEmpty()
  EMBEDDING_GROUP_ID!: string;

  @EnvVar({
    description:
      'Rebuild the in-memory model at each start by re-reading the enriched topic from its beginning (a fresh group per boot); false = resume from the committed offsets with an empty model.',
  })
  @ToBoolean()
  @IsBoolean()
  EMBEDDING_REBUILD_ON_START!: boolean;

  @EnvVar({ description: 'Vector dimension of every embedding.' })
  @ToNumber()
  @IsInt()
  @Min(8)
  @Max(4096)
  EMBEDDING_DIMENSION!: number;

  @EnvVar({ description: "Half-life of a user's engagements in their vector, seconds of event time." })
  @ToNumber()
  @IsNumber()
  @Min(1)
  EMBEDDING_USER_HALF_LIFE_SEC!: number;

  @EnvVar({
    description:
      "Users with no engagement for this long (seconds of event time) are dropped from the writer's memory; their published vector stays and a later engagement starts a new one, as after a restart, which rebuilds from the enriched topic's 7 days. 0 = never.",
  })
  @ToNumber()
  @IsInt()
  @Min(0)
  EMBEDDING_USER_IDLE_SEC!: number;

  @EnvVar({
    description:
      "A user's vector in Redis is deleted once the user has not engaged for this long, seconds (0 = never): the key's TTL, refreshed by a publication at most every eighth of it, so deleted between 1 and 1 1/8 of it after the last engagement. Match USER_ENGAGEMENT_TTL_SEC, the aggregator's.",
  })
  @IsUserIdleTtlSec()
  EMBEDDING_USER_VECTOR_TTL_SEC!: number;

  @EnvVar({ description: "Half-life of a stream's live-audience context, seconds of event time." })
  @ToNumber()
  @IsNumber()
  @Min(1)
  EMBEDDING_AUDIENCE_HALF_LIFE_SEC!: number;

  @EnvVar({ description: 'SGD learning rate of the seller co-engagement model (item2vec).' })
  @ToNumber()
  @IsNumber()
  @Min(0)
  @Max(1)
  EMBEDDING_LEARNING_RATE!: number;

  @EnvVar({
    description: 'Co-engagement window: two engagements of one user further apart do not pair, seconds.',
  })
  @ToNumber()
  @IsInt()
  @Min(1)
  EMBEDDING_CO_ENGAGEMENT_WINDOW_SEC!: number;

  @EnvVar({
    description:
      'Coalescing interval of non-lifecycle vector updates, ms (bounds how far the watermark trails).',
  })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(60_000)
  EMBEDDING_COALESCE_MS!: number;

  @EnvVar({
    description:
      "User-vector topic cadence, ms: each user's latest vector about once per interval, the records pending at the start of an interval sent evenly over it (Redis keeps EMBEDDING_COALESCE_MS; erasures at once; 0 = every flush). Rebuild mode only.",
  })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(600_000)
  EMBEDDING_USER_TOPIC_MS!: number;

  @EnvVar({
    description:
      'Cosine distance (1 - cos) under which a coalesced vector update is not republished (readers stay within it while events flow; exact once idle); 0 = republish every change.',
  })
  @ToNumber()
  @IsNumber()
  @Min(0)
  @Max(0.1)
  EMBEDDING_PUBLISH_MIN_CHANGE!: number;

  @EnvVar({
    description: 'Redis key prefix of user vectors: <REDIS_KEY_PREFIX><this><userId> holds float32 LE bytes.',
  })
  @Matches(/^[A-Za-z0-9:._-]*$/, { message: '$property may only hold letters, digits and : . _ -' })
  EMBEDDING_USER_KEY_PREFIX!: string;

  @EnvVar({ description: 'Qdrant collection of stream vectors (when QDRANT_URL is set).' })
  @IsString()
  @IsNotEmpty()
  EMBEDDING_QDRANT_STREAMS_COLLECTION!: string;

  @EnvVar({ description: 'Qdrant collection of user vectors (when QDRANT_URL is set).' })
  @IsString()
  @IsNotEmpty()
  EMBEDDING_QDRANT_USERS_COLLECTION!: string;
}

export interface EmbeddingWriterSettings {
  groupId: string;
  rebuildOnStart: boolean;
  dimension: number;
  userHalfLifeMs: number;
  /** Infinity = never drop idle users. */
  userIdleMs: number;
  /** TTL of a user's vector in Redis after their last engagement, seconds; 0 = never expires. */
  userVectorTtlSec: number;
  audienceHalfLifeMs: number;
  learningRate: number;
  coEngagementWindowMs: number;
  coalesceMs: number;
  userTopicMs: number;
  publishMinChange: number;
  userKeyPrefix: string;
  qdrantCollections: { streams: string; users: string };
}

export function embeddingWriterEnv(): EnvGroup<EmbeddingWriterEnvDto, EmbeddingWriterSettings> {
  return {
    dto: EmbeddingWriterEnvDto,
    defaults: {
      EMBEDDING_GROUP_ID: 'embedding-writer',
      EMBEDDING_REBUILD_ON_START: 'true',
      EMBEDDING_DIMENSION: '128',
      EMBEDDING_USER_HALF_LIFE_SEC: String(3 * 24 * 3600),
      EMBEDDING_USER_IDLE_SEC: String(EVENT_TOPIC_RETENTION_MS / 1000),
      EMBEDDING_USER_VECTOR_TTL_SEC: String(DEFAULT_USER_IDLE_TTL_SEC),
      EMBEDDING_AUDIENCE_HALF_LIFE_SEC: '600',
      EMBEDDING_LEARNING_RATE: '0.05',
      EMBEDDING_CO_ENGAGEMENT_WINDOW_SEC: String(24 * 3600),
      EMBEDDING_COALESCE_MS: '100',
      EMBEDDING_USER_TOPIC_MS: String(DEFAULT_USER_TOPIC_MS),
      // 1e-3 (2.6 degrees), not the model's 1e-5: each view moves the co-engaged sellers and so all their
      // live streams; at 650 events/s that republished 2.8 stream vectors per event, each an HNSW update in
      // the recommender (0.76 at 1e-3; bench/hops-stalls.bench.ts). Exact again once the writer is idle.
      EMBEDDING_PUBLISH_MIN_CHANGE: '0.001',
      EMBEDDING_USER_KEY_PREFIX: 'emb:user:',
      EMBEDDING_QDRANT_STREAMS_COLLECTION: 'nowcast_streams',
      EMBEDDING_QDRANT_USERS_COLLECTION: 'nowcast_users',
    },
    toConfig: (dto) => ({
      groupId: dto.EMBEDDING_GROUP_ID,
      rebuildOnStart: dto.EMBEDDING_REBUILD_ON_START,
      dimension: dto.EMBEDDING_DIMENSION,
      userHalfLifeMs: dto.EMBEDDING_USER_HALF_LIFE_SEC * 1000,
      userIdleMs:
        dto.EMBEDDING_USER_IDLE_SEC === 0 ? Number.POSITIVE_INFINITY : dto.EMBEDDING_USER_IDLE_SEC * 1000,
      userVectorTtlSec: dto.EMBEDDING_USER_VECTOR_TTL_SEC,
      audienceHalfLifeMs: dto.EMBEDDING_AUDIENCE_HALF_LIFE_SEC * 1000,
      learningRate: dto.EMBEDDING_LEARNING_RATE,
      coEngagementWindowMs: dto.EMBEDDING_CO_ENGAGEMENT_WINDOW_SEC * 1000,
      coalesceMs: dto.EMBEDDING_COALESCE_MS,
      userTopicMs: dto.EMBEDDING_USER_TOPIC_MS,
      publishMinChange: dto.EMBEDDING_PUBLISH_MIN_CHANGE,
      userKeyPrefix: dto.EMBEDDING_USER_KEY_PREFIX,
      qdrantCollections: {
        streams: dto.EMBEDDING_QDRANT_STREAMS_COLLECTION,
        users: dto.EMBEDDING_QDRANT_USERS_COLLECTION,
      },
    }),
  };
}
