import type { Redis, Result } from 'ioredis';
import { AggregatorSettings } from '../aggregation/aggregator.settings';
import { ApplyOutcome, BatchUpdate, PartitionProgress } from '../aggregation/batch-update';
import { NewerStateFormatError } from './state-format';
import { RecordedUsersCache } from './recorded-users.cache';
import {
  AggregateStateRepository,
  LeaseHolder,
  PendingStream,
  SellerState,
  StreamState,
  USER_ENGAGEMENT_SUFFIXES,
  UserState,
  Watermark,
  applySettingsOf,
} from './aggregate-state.repository';
import { APPLY_BATCH_LUA } from './apply-batch.lua';
import { decodeStreamHash, pairs } from './stream-state.codec';
import { encodeBatch } from './wire-format';

/** An HGETALL reply with Buffer values: a flat [field, value, ...] array, or an object. */
function hashFromReply(reply: unknown): Record<string, Buffer> {
  if (!Array.isArray(reply)) return reply as Record<string, Buffer>;
  const flat = reply as Buffer[];
  const hash: Record<string, Buffer> = {};
  // field names are ASCII (fixed names, gmv:<ISO currency>)
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i].toString('latin1')] = flat[i + 1];
  return hash;
}

/** Every key of this state starts with this (after the client's REDIS_KEY_PREFIX). */
export const KEY_NAMESPACE = 'agg:';

const UNLINK_LUA = "for _, k in ipairs(ARGV) do redis.call('UNLINK', k) end return #ARGV";

/** ARGV: key base (`<P>pending:<topic>:`), then (partition, streamId, offset) triples. */
const ACK_PENDING_LUA = `
for i = 2, #ARGV, 3 do
  local k = ARGV[1] .. ARGV[i]
  local score = redis.call('ZSCORE', k, ARGV[i + 1])
  if score and tonumber(score) <= tonumber(ARGV[i + 2]) then redis.call('ZREM', k, ARGV[i + 1]) end
end
return 0`;

/**
 * ARGV: full prefix, cutoff (epoch ms), limit. Deletes the engagement keys of up to `limit` users
 * last active at or before the cutoff (users:seen) and forgets them there; follows stay. One call
 * is atomic, so a user a batch has just written (a higher score) is never half-deleted.
 */
const SWEEP_IDLE_USERS_LUA = `
local P = ARGV[1]
local seen = P .. 'users:seen'
local idle = redis.call('ZRANGEBYSCORE', seen, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(idle) do
  local base = P .. 'u:' .. id .. ':'
  redis.call('UNLINK', ${USER_ENGAGEMENT_SUFFIXES.map((suffix) => `base .. '${suffix}'`).join(', ')})
  redis.call('ZREM', seen, id)
end
return #idle`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    aggApplyBatch(...args: (string | Buffer)[]): Result<string[], Context>;
    aggUnlink(...keys: string[]): Result<number, Context>;
    aggAckPending(...args: string[]): Result<number, Context>;
    aggSweepIdleUsers(prefix: string, cutoff: string, limit: string): Result<number, Context>;
  }
}

/**
 * Redis implementation: one EVALSHA per batch (ioredis defineCommand loads the script once and
 * falls back to EVAL on NOSCRIPT), reads pipelined. Relative keys go through the client, which
 * adds its keyPrefix; the script builds keys itself and gets the full prefix as an argument.
 */
export class RedisAggregateStateRepository implements AggregateStateRepository {
  private readonly settingsJson: string;
  private readonly fullPrefix: string;
  private readonly recordedUsers = new RecordedUsersCache();
  /** Whether batches record their users in users:seen at all (USER_ENGAGEMENT_TTL_SEC > 0). */
  private readonly recordsUsers: boolean;

  constructor(
    private readonly redis: Redis,
    settings: AggregatorSettings,
  ) {
    this.settingsJson = JSON.stringify(applySettingsOf(settings));
    this.recordsUsers = settings.userTtlSec > 0;
    this.fullPrefix = `${redis.options.keyPrefix ?? ''}${KEY_NAMESPACE}`;
    if (typeof (redis as Partial<Redis>).aggApplyBatch !== 'function') {
      redis.defineCommand('aggApplyBatch', { numberOfKeys: 0, lua: APPLY_BATCH_LUA });
      redis.defineCommand('aggUnlink', { numberOfKeys: 0, lua: UNLINK_LUA });
      redis.defineCommand('aggAckPending', { numberOfKeys: 0, lua: ACK_PENDING_LUA });
      redis.defineCommand('aggSweepIdleUsers', { numberOfKeys: 0, lua: SWEEP_IDLE_USERS_LUA });
    }
  }

  async readProgress(topic: string, partition: number): Promise<PartitionProgress> {
    const [offset, max] = await this.redis.hmget(
      this.key(`offset:${topic}:${partition}`),
      'offset',
      'maxEventTime',
    );
    return { offset: offset ?? null, maxEventTime: max === null ? 0 : Number(max) };
  }

  async applyBatch(update: BatchUpdate): Promise<ApplyOutcome> {
    const wire = encodeBatch(update);
    const { hour, skip } = this.recordedUsers.skippable(update);
    const reply = await this.redis.aggApplyBatch(
      this.fullPrefix,
      this.settingsJson,
      update.topic,
      String(update.partition),
      update.lastOffset,
      update.expectOffset,
      String(update.maxEventTime),
      wire.life,
      wire.streams,
      wire.users,
      skip.join('\n'),
    );
    switch (reply[0]) {
      case 'newer-format':
        throw new NewerStateFormatError(Number(reply[1]));
      case 'duplicate':
        return { status: 'duplicate' };
      case 'conflict':
        return {
          status: 'conflict',
          progress: { offset: reply[1] === '' ? null : reply[1], maxEventTime: Number(reply[2]) },
        };
      default: {
        if (this.recordsUsers) this.recordedUsers.applied(update, hour);
        const erasedFollows: [string, string][] = [];
        for (let i = 1; i + 1 < reply.length; i += 2) erasedFollows.push([reply[i], reply[i + 1]]);
        return { status: 'applied', erasedFollows };
      }
    }
  }

  async readStreams(ids: string[]): Promise<(StreamState | null)[]> {
    if (ids.length === 0) return [];
    // Buffer values: the packed numbers `r` are binary (state/packed-stream.codec.ts). 'HGETALL' in
    // capitals: ioredis registers its object-building reply transformer under 'hgetall' (a
    // case-sensitive lookup), which costs ~40% more CPU per hash with Buffer keys than pairing the
    // flat reply here; hashFromReply takes either shape, should a later ioredis apply it anyway.
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.callBuffer('HGETALL', this.key(`s:${id}`));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, reply], i) => {
      if (error) throw error;
      return decodeStreamHash(ids[i], hashFromReply(reply));
    });
  }

  readLive(): Promise<string[]> {
    return this.redis.zrange(this.key('live'), 0, -1);
  }

  async readUser(userId: string): Promise<UserState> {
    const base = this.key(`u:${userId}:`);
    const replies = await this.redis
      .pipeline()
      .zrevrange(`${base}sellers`, 0, -1, 'WITHSCORES')
      .zrevrange(`${base}categories`, 0, -1, 'WITHSCORES')
      .zrevrange(`${base}recent`, 0, -1, 'WITHSCORES')
      .hgetall(`${base}seller-counts`)
      .zrevrange(`${base}shown`, 0, -1, 'WITHSCORES')
      .hgetall(`${base}shown-counts`)
      .smembers(`${base}follows`)
      .exec();
    const value = (i: number): unknown => {
      const [error, result] = replies?.[i] ?? [new Error('no reply'), null];
      if (error) throw error;
      return result;
    };
    const counts = (i: number): Record<string, number> =>
      Object.fromEntries(Object.entries(value(i) as Record<string, string>).map(([k, v]) => [k, Number(v)]));
    return {
      sellers: pairs(value(0) as string[]),
      categories: pairs(value(1) as string[]),
      recent: pairs(value(2) as string[]),
      sellerCounts: counts(3),
      shown: pairs(value(4) as string[]),
      shownCounts: counts(5),
      follows: (value(6) as string[]).sort(),
    };
  }

  async readSeller(sellerId: string): Promise<SellerState> {
    const [[, hash], [, followers]] = ((await this.redis
      .pipeline()
      .hgetall(this.key(`seller:${sellerId}`))
      .smembers(this.key(`seller:${sellerId}:followers`))
      .exec()) ?? []) as [[unknown, Record<string, string>], [unknown, string[]]];
    return { live: hash.live === '1', streamId: hash.streamId ?? null, followers: followers.sort() };
  }

  async leaseHolders(
    topic: string,
    partition: number,
    before: number,
    limit: number,
  ): Promise<LeaseHolder[]> {
    const flat = await this.redis.zrangebyscore(
      this.key(`lease:${topic}:${partition}`),
      '-inf',
      before,
      'WITHSCORES',
      'LIMIT',
      0,
      limit,
    );
    return pairs(flat).map(([streamId, lastActivityAt]) => ({ streamId, lastActivityAt }));
  }

  async writeWatermarks(watermarks: Watermark[]): Promise<void> {
    if (watermarks.length === 0) return;
    const fields = watermarks.flatMap((w) => [
      `${w.topic}:${w.partition}`,
      JSON.stringify({ eventTime: w.eventTime, updatedAt: w.updatedAt }),
    ]);
    await this.redis.hset(this.key('watermarks'), ...fields);
  }

  async readPending(topic: string, partition: number): Promise<PendingStream[]> {
    const flat = await this.redis.zrange(this.key(`pending:${topic}:${partition}`), 0, -1, 'WITHSCORES');
    return pairs(flat).map(([streamId, offset]) => ({ partition, streamId, offset }));
  }

  async ackPending(topic: string, acked: PendingStream[]): Promise<void> {
    // one script call per flush: a conditional ZREM (score <= acked offset) needs ZSCORE first
    const chunk = 3_000;
    for (let i = 0; i < acked.length; i += chunk) {
      const args = acked
        .slice(i, i + chunk)
        .flatMap(({ partition, streamId, offset }) => [String(partition), streamId, String(offset)]);
      await this.redis.aggAckPending(`${this.fullPrefix}pending:${topic}:`, ...args);
    }
  }

  async readWatermarks(): Promise<Watermark[]> {
    const hash = await this.redis.hgetall(this.key('watermarks'));
    return Object.entries(hash).map(([field, json]) => {
      const cut = field.lastIndexOf(':');
      const { eventTime, updatedAt } = JSON.parse(json) as { eventTime: number; updatedAt: number };
      return { topic: field.slice(0, cut), partition: Number(field.slice(cut + 1)), eventTime, updatedAt };
    });
  }

  async sweepIdleUsers(cutoff: number, limit: number): Promise<number> {
    return this.redis.aggSweepIdleUsers(this.fullPrefix, String(Math.floor(cutoff)), String(limit));
  }

  async deleteAll(): Promise<number> {
    this.recordedUsers.clear();
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.fullPrefix}*`, 'COUNT', 1000);
      cursor = next;
      // SCAN returns full key names: UNLINK them from a script so the client adds no second prefix.
      if (keys.length > 0) deleted += await this.redis.aggUnlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }

  private key(relative: string): string {
    return `${KEY_NAMESPACE}${relative}`;
  }
}
