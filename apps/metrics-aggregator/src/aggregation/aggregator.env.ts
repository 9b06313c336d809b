import { EnvGroup, EnvVar, IsUserIdleTtlSec, ToNumber } from '@app/config';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import {
  AggregatorSettings,
  DEFAULT_AGGREGATOR_SETTINGS,
  DEFAULT_ENGAGEMENT_WEIGHTS,
  DEFAULT_SCORE_WEIGHTS,
} from './aggregator.settings';

const WEIGHTS_PATTERN = /^\s*[A-Za-z]+\s*=\s*-?[0-9.eE+-]+\s*(,\s*[A-Za-z]+\s*=\s*-?[0-9.eE+-]+\s*)*$/;

const ms = (description: string) => EnvVar({ description: `${description} (ms).` });

/** The aggregator's own variables (docs/key-layout.md explains each one's effect). */
export class AggregatorEnvDto {
  @EnvVar({ description: 'Consumer group of the aggregator on the enriched topic.' })
  @IsString()
  @IsNotEmpty()
  AGGREGATOR_GROUP_ID!: string;

  @EnvVar({
    description: "Where the state lives: 'redis' (production) or 'memory' (one-process mode, lost on exit).",
  })
  @IsIn(['redis', 'memory'])
  AGGREGATOR_STORAGE!: 'redis' | 'memory';

  @ms('A live stream with no heartbeat or engagement for this long is expired by the sweeper')
  @ToNumber()
  @IsInt()
  @Min(1_000)
  @Max(3_600_000)
  STREAM_LEASE_MS!: number;

  @ms('A viewer silent for this long no longer counts as a current viewer')
  @ToNumber()
  @IsInt()
  @Min(1_000)
  @Max(86_400_000)
  VIEWER_LEASE_MS!: number;

  @ms('Events older than the partition max event time minus this are late: lifetime totals only, not windows')
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  AGGREGATOR_LATENESS_MS!: number;

  @ms('Least time between two change-feed records of one stream; bounds how far the watermark trails')
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(60_000)
  METRICS_COALESCE_MS!: number;

  @ms('Lease sweeper period')
  @ToNumber()
  @IsInt()
  @Min(100)
  @Max(600_000)
  LEASE_SWEEP_INTERVAL_MS!: number;

  @EnvVar({ description: 'Streams kept per user (recent engagements).' })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  USER_RECENT_MAX!: number;

  @EnvVar({ description: 'Sellers kept per user.' })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  USER_SELLERS_MAX!: number;

  @EnvVar({ description: 'Recently shown streams (impressions/clicks) kept per user.' })
  @ToNumber()
  @IsInt()
  @Min(1)
  @Max(10_000)
  USER_SHOWN_MAX!: number;

  @ms('Half-life of the per-user affinities (forward decay)')
  @ToNumber()
  @IsInt()
  @Min(60_000)
  @Max(365 * 86_400_000)
  USER_AFFINITY_HALF_LIFE_MS!: number;

  @EnvVar({
    description: 'Reference time of the forward-decayed user scores, epoch ms (see docs/key-layout.md).',
  })
  @ToNumber()
  @IsInt()
  @Min(0)
  USER_DECAY_EPOCH_MS!: number;

  @EnvVar({ description: 'Keys of an ended stream expire this long after its end, seconds.' })
  @ToNumber()
  @IsInt()
  @Min(60)
  @Max(365 * 86_400)
  ENDED_STREAM_TTL_SEC!: number;

  @EnvVar({
    description:
      "A user's engagement keys (recent, sellers, categories, shown and their counts; not follows) are deleted once the user has been idle this long (event time of the user's last batch; swept every 15 minutes), seconds (0 = never).",
  })
  @IsUserIdleTtlSec()
  USER_ENGAGEMENT_TTL_SEC!: number;

  @EnvVar({
    type: 'list',
    description:
      'Engagement score weights, name=value comma list over viewers,chats,bids,uniqueBidders,purchases,gmv,giveaways,newViewers,velocity (unset = defaults).',
  })
  @IsOptional()
  @Matches(WEIGHTS_PATTERN, { message: '$property must be a name=number comma list' })
  SCORE_WEIGHTS?: string;
}

export interface AggregatorEnvConfig {
  groupId: string;
  storage: 'redis' | 'memory';
  settings: AggregatorSettings;
}

/** name=value,... over the keys of `defaults`; unknown names or non-numbers throw. */
export function parseWeights<T extends object>(text: string, defaults: T): T {
  const out = { ...defaults } as Record<string, number>;
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, raw] = part.split('=').map((p) => p.trim());
    const value = Number(raw);
    if (!(name in defaults) || raw === undefined || !Number.isFinite(value)) {
      throw new RangeError(`bad weight "${part}" (known: ${Object.keys(defaults).join(', ')})`);
    }
    out[name] = value;
  }
  return out as T;
}

export function aggregatorEnv(): EnvGroup<AggregatorEnvDto, AggregatorEnvConfig> {
  const d = DEFAULT_AGGREGATOR_SETTINGS;
  return {
    dto: AggregatorEnvDto,
    defaults: {
      AGGREGATOR_GROUP_ID: 'metrics-aggregator',
      AGGREGATOR_STORAGE: 'redis',
      STREAM_LEASE_MS: String(d.streamLeaseMs),
      VIEWER_LEASE_MS: String(d.viewerLeaseMs),
      AGGREGATOR_LATENESS_MS: String(d.latenessMs),
      METRICS_COALESCE_MS: String(d.coalesceMs),
      LEASE_SWEEP_INTERVAL_MS: String(d.sweepIntervalMs),
      USER_RECENT_MAX: String(d.userRecentMax),
      USER_SELLERS_MAX: String(d.userSellersMax),
      USER_SHOWN_MAX: String(d.userShownMax),
      USER_AFFINITY_HALF_LIFE_MS: String(d.userHalfLifeMs),
      USER_DECAY_EPOCH_MS: String(d.userDecayEpochMs),
      ENDED_STREAM_TTL_SEC: String(d.endedTtlSec),
      USER_ENGAGEMENT_TTL_SEC: String(d.userTtlSec),
    },
    toConfig: (dto) => ({
      groupId: dto.AGGREGATOR_GROUP_ID,
      storage: dto.AGGREGATOR_STORAGE,
      settings: {
        ...d,
        streamLeaseMs: dto.STREAM_LEASE_MS,
        viewerLeaseMs: dto.VIEWER_LEASE_MS,
        latenessMs: dto.AGGREGATOR_LATENESS_MS,
        coalesceMs: dto.METRICS_COALESCE_MS,
        sweepIntervalMs: dto.LEASE_SWEEP_INTERVAL_MS,
        userRecentMax: dto.USER_RECENT_MAX,
        userSellersMax: dto.USER_SELLERS_MAX,
        userShownMax: dto.USER_SHOWN_MAX,
        userHalfLifeMs: dto.USER_AFFINITY_HALF_LIFE_MS,
        userDecayEpochMs: dto.USER_DECAY_EPOCH_MS,
        endedTtlSec: dto.ENDED_STREAM_TTL_SEC,
        userTtlSec: dto.USER_ENGAGEMENT_TTL_SEC,
        scoreWeights: parseWeights(dto.SCORE_WEIGHTS ?? '', DEFAULT_SCORE_WEIGHTS),
        engagementWeights: DEFAULT_ENGAGEMENT_WEIGHTS,
      },
    }),
  };
}
