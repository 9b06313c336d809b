import { RedisClient } from '@app/redis';
import { bufferToFloat32 } from '@app/vector-store';
import { READ_USER_STATE_LUA } from './read-user-state.lua';
import {
  DEGRADED_USER_STATE,
  USER_STATE_READ_LIMITS,
  UserState,
  UserStateRepository,
  UserStateRows,
  userStateOf,
} from './user-state.repository';

export interface UserStateKeys {
  /** The aggregator's namespace (docs/key-layout.md): `agg:u:<userId>:<part>`. */
  aggregatorNamespace: string;
  /** The writer's user-vector prefix: `emb:user:<userId>` holds float32 LE bytes. */
  userVectorPrefix: string;
}

/** ioredis' defineCommand adds the method (and its ...Buffer twin) at run time. */
const COMMAND = 'recommenderReadUserState';
type ReadUserState = (...args: (string | number)[]) => Promise<unknown>;
type Reply = [Buffer, Buffer[], (Buffer | null)[], Buffer[], Buffer[], Buffer[], (Buffer | null)[]];

/**
 * The user's state from Redis in ONE round trip of ONE command (read-user-state.lua: the vector,
 * the aggregator's heads and their counts joined server side). Never waits for a Redis that is
 * down: the client's offline queue would hold the request, so a not-ready client or a missed
 * deadline answers degraded with empty signals.
 */
export class RedisUserStateRepository extends UserStateRepository {
  private readonly readScript: ReadUserState;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: UserStateKeys,
    private readonly dimension: number,
  ) {
    super();
    const client = redis as unknown as Record<string, ReadUserState | undefined>;
    if (typeof client[`${COMMAND}Buffer`] !== 'function') {
      // loaded once per client, EVALSHA with a fallback to EVAL on NOSCRIPT (ioredis)
      redis.defineCommand(COMMAND, { numberOfKeys: 7, lua: READ_USER_STATE_LUA });
    }
    const command = client[`${COMMAND}Buffer`] as ReadUserState;
    this.readScript = command.bind(redis);
  }

  async read(userId: string, deadlineMs: number): Promise<UserState> {
    if (this.redis.status !== 'ready') return DEGRADED_USER_STATE;
    const base = `${this.keys.aggregatorNamespace}u:${userId}:`;
    const reply = this.readScript(
      `${this.keys.userVectorPrefix}${userId}`,
      `${base}sellers`,
      `${base}seller-counts`,
      `${base}follows`,
      `${base}categories`,
      `${base}shown`,
      `${base}shown-counts`,
      USER_STATE_READ_LIMITS.sellers,
      USER_STATE_READ_LIMITS.categories,
      USER_STATE_READ_LIMITS.shown,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), deadlineMs)));
    try {
      const values = await Promise.race([reply, timeout]);
      if (!values) return DEGRADED_USER_STATE;
      return { ...this.decode(values as Reply), degraded: false };
    } catch {
      return DEGRADED_USER_STATE;
    } finally {
      clearTimeout(timer);
      // a reply that lost the race may still reject (e.g. the connection dropped): not unhandled
      reply.catch(() => undefined);
    }
  }

  async hasState(userId: string): Promise<boolean> {
    const base = `${this.keys.aggregatorNamespace}u:${userId}:`;
    const count = await this.redis.exists(
      `${this.keys.userVectorPrefix}${userId}`,
      `${base}sellers`,
      `${base}seller-counts`,
      `${base}follows`,
      `${base}categories`,
      `${base}shown`,
      `${base}shown-counts`,
      `${base}streams`,
      `${base}recent`,
    );
    return count > 0;
  }

  private decode([vectorBytes, sellers, sellerCounts, follows, categories, shown, shownCounts]: Reply) {
    let vector: Float32Array | null = null;
    if (vectorBytes.length === this.dimension * 4) {
      try {
        vector = bufferToFloat32(vectorBytes);
      } catch {
        vector = null; // a non-finite vector is ignored rather than ranked with
      }
    }
    const rows: UserStateRows = { vector, sellers: [], categories: [], follows: [], shown: [] };
    for (let i = 0, j = 0; i + 1 < sellers.length; i += 2, j += 4) {
      rows.sellers.push({
        sellerId: sellers[i].toString(),
        weight: Number(sellers[i + 1].toString()),
        chats: count(sellerCounts[j]),
        bids: count(sellerCounts[j + 1]),
        purchases: count(sellerCounts[j + 2]),
        watchMs: count(sellerCounts[j + 3]),
      });
    }
    for (let i = 0; i + 1 < categories.length; i += 2)
      rows.categories.push([categories[i].toString(), Number(categories[i + 1].toString())]);
    for (const sellerId of follows) rows.follows.push(sellerId.toString());
    for (let i = 0, j = 0; i + 1 < shown.length; i += 2, j += 2) {
      rows.shown.push({
        streamId: shown[i].toString(),
        lastShownAt: Number(shown[i + 1].toString()),
        impressions: count(shownCounts[j]),
        clicks: count(shownCounts[j + 1]),
      });
    }
    return userStateOf(rows);
  }
}

/** A counter field: absent (nil) or unparsable reads as 0. */
function count(value: Buffer | null | undefined): number {
  if (!value) return 0;
  const n = Number(value.toString());
  return Number.isFinite(n) ? n : 0;
}
