import type { RedisClient } from '@app/redis';
import type { ChainableCommander } from 'ioredis';
import {
  EntityWrite,
  StreamContextRecord,
  decodeStreamContext,
  encodeStreamContext,
} from '../entity-cache/stream-context.record';
import {
  EnricherStateRepository,
  StateLookup,
  StateSnapshot,
  streamTtlSec,
} from './enricher-state.repository';
import { StateUnavailableError } from './state-unavailable.error';

export interface RedisEnricherStateOptions {
  /** A round trip slower than this fails (the batch is redelivered), ms. */
  timeoutMs: number;
  /** Namespace inside the client's own keyPrefix; default none. */
  namespace?: string;
}

/**
 * Claims and lookups of one batch in ONE command. Every list is one newline-joined ARGV string
 * rather than one argument per key: ioredis spends ~1-3 us per argument and per command on the
 * client (a 4,000-event batch had ~8,000 claim arguments plus ~3,000 GET/SMEMBERS commands),
 * which was most of the enricher's Redis cost; Redis splits the strings itself on its own core.
 *   ARGV: keyPrefix, window (s), eventIds, marks, streamIds, userIds
 * For each claim, in order: SET dedupe:<id> <mark> NX GET EX window (Redis >= 7: returns the
 * previous value and sets only when there was none); a claim that found another message's mark (a
 * duplicate) also sets dropped:<id>:<mark> NX EX window, so a redelivered batch's drop is counted
 * once. Returns
 *   { {index, previousMark, dropRecorded (0/1), ...} for claims that found a mark,
 *     {GET stream:<id> ...}, {SMEMBERS follows:<id> ...} }
 * Keys are built inside the script (not declared in KEYS), so this needs a single Redis node, not
 * Redis Cluster (the per-batch keys span every slot anyway).
 */
const CLAIM_AND_LOOKUP_SCRIPT = `
local prefix = ARGV[1]
local window = ARGV[2]
local function split(packed)
  local out = {}
  if packed == '' then return out end
  for item in string.gmatch(packed, '[^\\n]+') do out[#out + 1] = item end
  return out
end
local ids, marks = split(ARGV[3]), split(ARGV[4])
local found = {}
for i = 1, #ids do
  local previous = redis.call('SET', prefix .. 'dedupe:' .. ids[i], marks[i], 'NX', 'GET', 'EX', window)
  if previous then
    local recorded = 0
    if previous ~= marks[i] and not redis.call('SET', prefix .. 'dropped:' .. ids[i] .. ':' .. marks[i], '1', 'NX', 'EX', window) then
      recorded = 1
    end
    found[#found + 1] = i - 1
    found[#found + 1] = previous
    found[#found + 1] = recorded
  end
end
local streams = {}
for i, id in ipairs(split(ARGV[5])) do streams[i] = redis.call('GET', prefix .. 'stream:' .. id) end
local follows = {}
for i, id in ipairs(split(ARGV[6])) do follows[i] = redis.call('SMEMBERS', prefix .. 'follows:' .. id) end
return { found, streams, follows }`;

type ClaimAndLookupReply = [(number | string)[], (string | null)[], string[][]];

/** Joins ids with newlines; an id containing one would shift every later entry, so it is refused. */
function pack(values: readonly string[]): string {
  for (const value of values) {
    if (value.includes('\n') || value === '') throw new Error(`Unpackable id ${JSON.stringify(value)}`);
  }
  return values.join('\n');
}

/**
 * Keys (after the client's REDIS_KEY_PREFIX): `dedupe:<eventId>` -> `partition:offset` with the
 * window as TTL; `stream:<streamId>` -> JSON context with a TTL; `follows:<userId>` -> set of sellerIds.
 * Each call is one round trip. Commands are not queued while Redis is down: the batch fails fast
 * and the transport redelivers it with backoff.
 */
export class RedisEnricherStateRepository implements EnricherStateRepository {
  private readonly ns: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisEnricherStateOptions,
  ) {
    this.ns = options.namespace ?? '';
  }

  async claimAndLookup(lookup: StateLookup): Promise<StateSnapshot> {
    const { claims, streamIds, userIds } = lookup;
    const pipeline = this.redis.pipeline();
    // ioredis prefixes only declared KEYS: the script prepends the client's prefix itself.
    const prefix = `${this.redis.options.keyPrefix ?? ''}${this.ns}`;
    const ids = new Array<string>(claims.length);
    const marks = new Array<string>(claims.length);
    for (let i = 0; i < claims.length; i++) {
      ids[i] = claims[i].eventId;
      marks[i] = claims[i].mark;
    }
    pipeline.eval(
      CLAIM_AND_LOOKUP_SCRIPT,
      0,
      prefix,
      String(lookup.dedupeWindowSec),
      pack(ids),
      pack(marks),
      pack(streamIds),
      pack(userIds),
    );
    const [found, streamValues, followSets] = (await this.exec(pipeline))[0] as ClaimAndLookupReply;
    const previousMarks = new Array<string | null>(claims.length).fill(null);
    const dropRecorded = new Array<boolean>(claims.length).fill(false);
    for (let i = 0; i < found.length; i += 3) {
      previousMarks[found[i] as number] = found[i + 1] as string;
      dropRecorded[found[i] as number] = found[i + 2] === 1;
    }
    const streams = new Map<string, StreamContextRecord>();
    for (let i = 0; i < streamIds.length; i++) {
      const record = decodeStreamContext(streamValues[i] ?? null);
      if (record) streams.set(streamIds[i], record);
    }
    const follows = new Map<string, Set<string>>();
    for (let i = 0; i < userIds.length; i++) {
      const members = followSets[i];
      if (members.length > 0) follows.set(userIds[i], new Set(members));
    }
    return { previousMarks, dropRecorded, streams, follows };
  }

  async apply(writes: readonly EntityWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const write of writes) {
      switch (write.kind) {
        case 'put-stream':
          pipeline.set(
            `${this.ns}stream:${write.streamId}`,
            encodeStreamContext(write.record),
            'EX',
            streamTtlSec(write.record.live),
          );
          break;
        case 'follow':
          pipeline.sadd(`${this.ns}follows:${write.userId}`, write.sellerId);
          break;
        case 'unfollow':
          pipeline.srem(`${this.ns}follows:${write.userId}`, write.sellerId);
          break;
        case 'erase-user':
          pipeline.del(`${this.ns}follows:${write.userId}`);
          break;
      }
    }
    await this.exec(pipeline);
  }

  /** Runs a pipeline; any command error, a disconnected client or a timeout is a StateUnavailableError. */
  private async exec(pipeline: ChainableCommander): Promise<unknown[]> {
    if (this.redis.status !== 'ready') {
      throw new StateUnavailableError(`Redis is ${this.redis.status}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new StateUnavailableError(`Redis did not answer within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
    });
    try {
      const results = await Promise.race([pipeline.exec(), timeout]);
      if (!results) throw new StateUnavailableError('Redis pipeline was discarded');
      return results.map(([error, value]) => {
        if (error) throw new StateUnavailableError(`Redis command failed: ${error.message}`);
        return value;
      });
    } catch (error) {
      if (error instanceof StateUnavailableError) throw error;
      throw new StateUnavailableError(`Redis failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
