import { EnvGroup, EnvVar, ToBoolean, ToNumber } from '@app/config';
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_FUTURE_MS, DEFAULT_MAX_PAST_MS } from '@app/contracts';
import { OFF_PATH_FETCH_MIN_BYTES } from '@app/kafka';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const TRANSACTION_SCOPES = ['partition', 'group'] as const;
export type TransactionScope = (typeof TRANSACTION_SCOPES)[number];

/**
 * The consumer side of event-enricher. Dedupe window default 900 s (15 min). Its Redis cost,
 * measured on Redis 7.0 (jemalloc) as the used_memory delta over 100,000 marks (36-char UUID key
 * under a short prefix, `partition:offset` value, TTL): ~170 bytes per mark (MEMORY USAGE alone
 * says 104; the expiry index and dict growth add the rest). So every 1,000 events/s keep
 * 900,000 marks = ~150 MB at the default window; the window is a memory budget, scale it down
 * for high rates (300 s = ~50 MB per 1,000 events/s).
 */
export class EnricherEnvDto {
  @EnvVar({ description: 'Consumer group of the enricher on the raw topic.' })
  @IsString()
  @IsNotEmpty()
  ENRICHER_GROUP_ID!: string;

  @EnvVar({
    description:
      'Prefix of the transactional ids (one per raw partition: <prefix>-<topic>-<partition>); stable per deployment, unique per service.',
  })
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: '$property must be 1-100 of [A-Za-z0-9._-]' })
  ENRICHER_TRANSACTIONAL_ID_PREFIX!: string;

  @EnvVar({
    description:
      'partition: one transaction per raw-partition batch, fenced by per-partition transactional ids. group: the batches of a fetch share one transaction, fenced by the consumer group generation (KIP-447; transactional id <prefix>-<KAFKA_GROUP_INSTANCE_ID>).',
  })
  @IsIn(TRANSACTION_SCOPES)
  ENRICHER_TRANSACTION_SCOPE!: TransactionScope;

  @EnvVar({
    description:
      "Longest the broker holds a fetch that has less than its minimum bytes, ms: the round's (ENRICHER_FETCH_MIN_BYTES) and the fast lane's (1 byte, so only an idle lane waits). Bounds idle polling.",
  })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(10_000)
  ENRICHER_MAX_WAIT_MS!: number;

  @EnvVar({
    description:
      'Raw partitions processed at the same time. With ENRICHER_TRANSACTION_SCOPE=group the batches handled together share a transaction: keep it >= the partitions per replica.',
  })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(64)
  ENRICHER_PARTITIONS_CONCURRENTLY!: number;

  @EnvVar({ description: 'Bytes fetched per partition per request (bounds the batch size).' })
  @ToNumber()
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  ENRICHER_MAX_BYTES_PER_PARTITION!: number;

  @EnvVar({
    description:
      "The broker answers the round's fetch once this many bytes arrived or after ENRICHER_MAX_WAIT_MS (1 = as soon as anything arrived). Unset = 262144 with the lifecycle fast lane (the round is then off a new stream's path; fewer, larger rounds cost the machine ~20 % less CPU per event), 1 without.",
  })
  @IsOptional()
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(64 * 1024 * 1024)
  ENRICHER_FETCH_MIN_BYTES?: number;

  @EnvVar({
    description:
      'Dedupe window, seconds: an eventId seen again within it is dropped. Redis memory: ~170 B per event, i.e. ~150 MB per 1,000 events/s at 900 s.',
  })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  DEDUPE_WINDOW_SEC!: number;

  @EnvVar({ description: 'Largest accepted event, bytes; larger ones are dead-lettered (too-large).' })
  @ToNumber()
  @IsInt()
  @Min(256)
  @Max(1024 * 1024)
  EVENT_MAX_BYTES!: number;

  @EnvVar({ description: 'How far in the future occurredAt may be, ms.' })
  @ToNumber()
  @IsInt()
  @Min(0)
  EVENT_MAX_FUTURE_MS!: number;

  @EnvVar({ description: 'How far in the past occurredAt may be, ms.' })
  @ToNumber()
  @IsInt()
  @Min(0)
  EVENT_MAX_PAST_MS!: number;

  @EnvVar({
    description: 'A Redis round trip slower than this fails the batch (redelivered with backoff), ms.',
  })
  @ToNumber()
  @IsInt()
  @Min(100)
  @Max(60_000)
  ENRICHER_REDIS_TIMEOUT_MS!: number;

  @EnvVar({
    description:
      'Write stream starts and ends to TOPIC_STREAM_LIFECYCLE_FAST as soon as they are fetched, ahead of the transaction round (a second reader of the raw topic, group <ENRICHER_GROUP_ID>-lifecycle-fast): the feed shows a new stream ~2x sooner under load.',
  })
  @ToBoolean()
  @IsBoolean()
  ENRICHER_LIFECYCLE_FAST_LANE!: boolean;
}

export interface EnricherSettings {
  groupId: string;
  transactionalIdPrefix: string;
  transactionScope: TransactionScope;
  maxWaitMs: number;
  partitionsConcurrently: number;
  maxBytesPerPartition: number;
  fetchMinBytes: number;
  dedupeWindowSec: number;
  maxEventBytes: number;
  maxFutureMs: number;
  maxPastMs: number;
  redisTimeoutMs: number;
  lifecycleFastLane: boolean;
}

export function enricherEnv(): EnvGroup<EnricherEnvDto, EnricherSettings> {
  return {
    dto: EnricherEnvDto,
    defaults: {
      ENRICHER_GROUP_ID: 'event-enricher',
      ENRICHER_TRANSACTIONAL_ID_PREFIX: 'event-enricher',
      ENRICHER_TRANSACTION_SCOPE: 'group',
      ENRICHER_MAX_WAIT_MS: '100',
      ENRICHER_PARTITIONS_CONCURRENTLY: '6',
      ENRICHER_MAX_BYTES_PER_PARTITION: String(1024 * 1024),
      DEDUPE_WINDOW_SEC: '900',
      EVENT_MAX_BYTES: String(DEFAULT_MAX_EVENT_BYTES),
      EVENT_MAX_FUTURE_MS: String(DEFAULT_MAX_FUTURE_MS),
      EVENT_MAX_PAST_MS: String(DEFAULT_MAX_PAST_MS),
      ENRICHER_REDIS_TIMEOUT_MS: '5000',
      ENRICHER_LIFECYCLE_FAST_LANE: 'true',
    },
    toConfig: (dto) => ({
      groupId: dto.ENRICHER_GROUP_ID,
      transactionalIdPrefix: dto.ENRICHER_TRANSACTIONAL_ID_PREFIX,
      transactionScope: dto.ENRICHER_TRANSACTION_SCOPE,
      maxWaitMs: dto.ENRICHER_MAX_WAIT_MS,
      partitionsConcurrently: dto.ENRICHER_PARTITIONS_CONCURRENTLY,
      maxBytesPerPartition: dto.ENRICHER_MAX_BYTES_PER_PARTITION,
      fetchMinBytes:
        dto.ENRICHER_FETCH_MIN_BYTES ?? (dto.ENRICHER_LIFECYCLE_FAST_LANE ? OFF_PATH_FETCH_MIN_BYTES : 1),
      dedupeWindowSec: dto.DEDUPE_WINDOW_SEC,
      maxEventBytes: dto.EVENT_MAX_BYTES,
      maxFutureMs: dto.EVENT_MAX_FUTURE_MS,
      maxPastMs: dto.EVENT_MAX_PAST_MS,
      redisTimeoutMs: dto.ENRICHER_REDIS_TIMEOUT_MS,
      lifecycleFastLane: dto.ENRICHER_LIFECYCLE_FAST_LANE,
    }),
  };
}
