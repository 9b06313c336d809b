import {
  COMPACTED_TOPICS,
  DEFAULT_PARTITIONS,
  DEFAULT_TOPICS,
  LIFECYCLE_FAST_LANE_RETENTION,
  LIFECYCLE_FEED_RETENTION,
  METRICS_FEED_RETENTION,
  TopicRole,
} from '@app/contracts';
import { IsInt, Matches, Max, Min, ValidateIf } from 'class-validator';
import { EnvGroup } from './env-schema';
import { EnvVar } from './env-var.decorator';
import { ToNumber } from './env.validators';

const HOUR_MS = 3600_000;

// Kafka's legal topic name characters, at most 249 of them.
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const topicMessage = { message: '$property must be a Kafka topic name ([A-Za-z0-9._-], 1-249 chars)' };

export class TopicsEnvDto {
  @EnvVar({ description: 'Raw events topic (ingress -> event-enricher).' })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_RAW!: string;

  @EnvVar({ description: 'Validated, enriched events topic.' })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_ENRICHED!: string;

  @EnvVar({ description: 'Dead-letter topic (poison messages with the reason in headers).' })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_DEAD_LETTER!: string;

  @EnvVar({
    description: 'Stream metrics change feed (compacted; records older than its retention deleted).',
  })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_METRICS_STREAMS!: string;

  @EnvVar({
    description: 'Stream starts and ends feed (enricher -> recommender; its last day, not compacted).',
  })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_STREAM_LIFECYCLE!: string;

  @EnvVar({
    description:
      'Stream starts and ends fast lane (enricher straight from the raw topic -> recommender, read from its end; its last hour).',
  })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_STREAM_LIFECYCLE_FAST!: string;

  @EnvVar({ description: 'Stream embeddings change feed (compacted).' })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_EMBEDDINGS_STREAMS!: string;

  @EnvVar({ description: 'User embeddings change feed (compacted).' })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_EMBEDDINGS_USERS!: string;

  @EnvVar({ description: 'Follow-graph state topic (compacted).' })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_STATE_FOLLOWS!: string;

  @EnvVar({ description: 'Watermarks topic (compacted).' })
  @Matches(TOPIC_NAME, topicMessage)
  TOPIC_WATERMARKS!: string;

  @EnvVar({
    description: 'Partitions of every multi-partition topic; dead letters and watermarks keep 1 (ordered).',
  })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(10000)
  TOPIC_PARTITIONS!: number;

  @EnvVar({
    description:
      "How long the metrics feed keeps an ended stream's last record, hours (0 = forever, i.e. compaction only); applied to the topic by the topic bootstrap.",
  })
  @ToNumber()
  @IsInt()
  @ValidateIf((dto: TopicsEnvDto) => dto.TOPIC_METRICS_STREAMS_RETENTION_HOURS !== 0)
  @Min(METRICS_FEED_RETENTION.minRetentionMs / HOUR_MS, {
    message:
      '$property must be 0 (forever) or at least $constraint1 hours (the lifecycle feed must forget first)',
  })
  @Max(10 * 365 * 24)
  TOPIC_METRICS_STREAMS_RETENTION_HOURS!: number;
}

export interface TopicsConfig {
  names: Record<TopicRole, string>;
  partitions: Record<TopicRole, number>;
  /** The metrics feed's retention, ms; null = forever (compaction only). */
  metricsRetentionMs: number | null;
}

/** The environment variable that names each topic. */
export const TOPIC_ENV_VARIABLES: Readonly<Record<TopicRole, keyof TopicsEnvDto>> = {
  raw: 'TOPIC_RAW',
  enriched: 'TOPIC_ENRICHED',
  deadLetter: 'TOPIC_DEAD_LETTER',
  metricsStreams: 'TOPIC_METRICS_STREAMS',
  streamLifecycle: 'TOPIC_STREAM_LIFECYCLE',
  streamLifecycleFast: 'TOPIC_STREAM_LIFECYCLE_FAST',
  embeddingsStreams: 'TOPIC_EMBEDDINGS_STREAMS',
  embeddingsUsers: 'TOPIC_EMBEDDINGS_USERS',
  stateFollows: 'TOPIC_STATE_FOLLOWS',
  watermarks: 'TOPIC_WATERMARKS',
};

const ROLES = Object.keys(TOPIC_ENV_VARIABLES) as TopicRole[];

/** TOPIC_* names (defaults from @app/contracts) and TOPIC_PARTITIONS. */
export function topicsEnv(): EnvGroup<TopicsEnvDto, TopicsConfig> {
  const defaults: Partial<Record<keyof TopicsEnvDto, string>> = {
    TOPIC_PARTITIONS: String(DEFAULT_PARTITIONS.raw),
    TOPIC_METRICS_STREAMS_RETENTION_HOURS: String(METRICS_FEED_RETENTION.retentionMs / HOUR_MS),
  };
  for (const role of ROLES) defaults[TOPIC_ENV_VARIABLES[role]] = DEFAULT_TOPICS[role];
  return {
    dto: TopicsEnvDto,
    defaults,
    toConfig: (dto) => ({
      names: Object.fromEntries(ROLES.map((r) => [r, dto[TOPIC_ENV_VARIABLES[r]]])) as Record<
        TopicRole,
        string
      >,
      // single-partition stages stay single: their order matters more than their throughput
      partitions: Object.fromEntries(
        ROLES.map((r) => [r, DEFAULT_PARTITIONS[r] === 1 ? 1 : dto.TOPIC_PARTITIONS]),
      ) as Record<TopicRole, number>,
      metricsRetentionMs:
        dto.TOPIC_METRICS_STREAMS_RETENTION_HOURS === 0
          ? null
          : dto.TOPIC_METRICS_STREAMS_RETENTION_HOURS * HOUR_MS,
    }),
  };
}

/** What the topic bootstrap creates for one stage (structurally a `TopicSpec` of @app/kafka). */
export interface PipelineTopicSpec {
  name: string;
  partitions: number;
  compacted: boolean;
  configs?: Record<string, string>;
}

/** How long the event topics keep events: the horizon of every replay and rebuild, ms. */
export const EVENT_TOPIC_RETENTION_MS = 7 * 24 * 3600_000;

/** Event topics keep 7 days (the replay/rebuild horizon); dead letters 14 days for triage. */
const RETENTION_MS: Partial<Record<TopicRole, number>> = {
  raw: EVENT_TOPIC_RETENTION_MS,
  enriched: EVENT_TOPIC_RETENTION_MS,
  deadLetter: 14 * 24 * 3600_000,
};

/**
 * kafkajs sends a partition's messages as one record batch, which the broker refuses above
 * max.message.bytes (1 MiB by default): event topics take batches of thousands of events.
 */
const EVENT_TOPIC_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * Every pipeline topic as configured: change feeds and state topics compacted (last record per
 * key), event topics and the stream feeds deleting what is older than their retention.
 */
export function pipelineTopicSpecs(topics: TopicsConfig): PipelineTopicSpec[] {
  return ROLES.map((role) => pipelineTopicSpec(topics, role));
}

/** One stage's topic as the bootstrap creates it (for a service that creates its own topics). */
export function pipelineTopicSpec(topics: TopicsConfig, role: TopicRole): PipelineTopicSpec {
  const retentionMs = RETENTION_MS[role];
  // the lifecycle feeds are written a raw batch's starts at once
  const largeBatches =
    retentionMs !== undefined || role === 'streamLifecycle' || role === 'streamLifecycleFast';
  const configs: Record<string, string> = {
    ...(retentionMs ? { 'retention.ms': String(retentionMs) } : {}),
    ...(largeBatches ? { 'max.message.bytes': String(EVENT_TOPIC_MAX_MESSAGE_BYTES) } : {}),
    ...streamFeedConfigs(topics, role),
  };
  return {
    name: topics.names[role],
    partitions: topics.partitions[role],
    compacted: COMPACTED_TOPICS.includes(role),
    ...(Object.keys(configs).length > 0 ? { configs } : {}),
  };
}

/** The stream feeds' own policies (@app/contracts, LIFECYCLE_FEED_RETENTION: why they are safe). */
function streamFeedConfigs(topics: TopicsConfig, role: TopicRole): Record<string, string> {
  if (role === 'streamLifecycle') {
    // named, not left to the broker's default: an earlier release created it compacted
    return {
      'cleanup.policy': 'delete',
      'retention.ms': String(LIFECYCLE_FEED_RETENTION.retentionMs),
      'segment.ms': String(LIFECYCLE_FEED_RETENTION.segmentMs),
    };
  }
  if (role === 'streamLifecycleFast') {
    return {
      'cleanup.policy': 'delete',
      'retention.ms': String(LIFECYCLE_FAST_LANE_RETENTION.retentionMs),
      'segment.ms': String(LIFECYCLE_FAST_LANE_RETENTION.segmentMs),
    };
  }
  if (role !== 'metricsStreams' || topics.metricsRetentionMs === null) return {};
  return {
    'cleanup.policy': 'compact,delete',
    'retention.ms': String(topics.metricsRetentionMs),
    'segment.ms': String(METRICS_FEED_RETENTION.segmentMs),
    'segment.bytes': String(METRICS_FEED_RETENTION.segmentBytes),
  };
}
