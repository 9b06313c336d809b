import { RedisClient } from '@app/redis';
import { bufferToFloat32 } from '@app/vector-store';
import { EMPTY_USER_SIGNALS, ShownRecord, UserSignals } from '../ranking/ranking.types';

export interface UserStateKeys {
  /** The aggregator's namespace (docs/key-layout.md): `agg:u:<userId>:<part>`. */
  aggregatorNamespace: string;
  /** The writer's user-vector prefix: `emb:user:<userId>` holds float32 LE bytes. */
  userVectorPrefix: string;
}

export interface UserState {
  signals: UserSignals;
  /** Unit vector, or null for a user without one (new, or erased). */
  vector: Float32Array | null;
  /** True when Redis was down or slower than the deadline: the feed is built without the user. */
  degraded: boolean;
}

/** Per-user reads are bounded: the aggregator trims these sets, and we read only their heads. */
const SELLERS_READ = 50;
const CATEGORIES_READ = 20;
const SHOWN_READ = 100;

type Reply = [Error | null, unknown];

/**
 * Everything the feed needs about one user in ONE pipelined round trip (7 commands): the user
 * vector (writer), decayed seller and category weights, sessions per seller, follows and recent
 * impressions with their counts (aggregator). Never waits for a Redis that is down: the client's
 * offline queue would hold the request, so a not-ready client or a missed deadline answers
 * `degraded` with empty signals.
 */
export class UserStateRepository {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: UserStateKeys,
    private readonly dimension: number,
  ) {}

  async read(userId: string, deadlineMs: number): Promise<UserState> {
    if (this.redis.status !== 'ready') return { signals: EMPTY_USER_SIGNALS, vector: null, degraded: true };
    const base = `${this.keys.aggregatorNamespace}u:${userId}:`;
    const pipeline = this.redis
      .pipeline()
      .getBuffer(`${this.keys.userVectorPrefix}${userId}`)
      .zrevrange(`${base}sellers`, 0, SELLERS_READ - 1, 'WITHSCORES')
      .hgetall(`${base}seller-counts`)
      .smembers(`${base}follows`)
      .zrevrange(`${base}categories`, 0, CATEGORIES_READ - 1, 'WITHSCORES')
      .zrevrange(`${base}shown`, 0, SHOWN_READ - 1, 'WITHSCORES')
      .hgetall(`${base}shown-counts`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), deadlineMs)));
    try {
      const replies = await Promise.race<Reply[] | null>([pipeline.exec(), timeout]);
      if (!replies || replies.some(([error]) => error !== null)) {
        return { signals: EMPTY_USER_SIGNALS, vector: null, degraded: true };
      }
      return { ...this.decode(replies.map(([, value]) => value)), degraded: false };
    } catch {
      return { signals: EMPTY_USER_SIGNALS, vector: null, degraded: true };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Deletes nothing: erasure is the services' job (user.erased); this tells when it is done. */
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

  private decode(values: unknown[]): Omit<UserState, 'degraded'> {
    const [vectorBytes, sellers, sessions, follows, categories, shown, shownCounts] = values as [
      Buffer | null,
      string[],
      Record<string, string>,
      string[],
      string[],
      string[],
      Record<string, string>,
    ];
    let vector: Float32Array | null = null;
    if (vectorBytes && vectorBytes.length === this.dimension * 4) {
      try {
        vector = bufferToFloat32(vectorBytes);
      } catch {
        vector = null; // a non-finite vector is ignored rather than ranked with
      }
    }
    const shownMap = new Map<string, ShownRecord>();
    for (let i = 0; i + 1 < shown.length; i += 2) {
      const id = shown[i];
      shownMap.set(id, {
        impressions: Number(shownCounts[`i:${id}`] ?? 0),
        clicks: Number(shownCounts[`c:${id}`] ?? 0),
        lastShownAt: Number(shown[i + 1]),
      });
    }
    return {
      vector,
      signals: {
        sellerWeights: scoredPairs(sellers),
        sellerSessions: new Map(Object.entries(sessions).map(([k, v]) => [k, Number(v)])),
        follows: new Set(follows),
        categoryWeights: scoredPairs(categories),
        shown: shownMap,
      },
    };
  }
}

function scoredPairs(flat: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const score = Number(flat[i + 1]);
    if (Number.isFinite(score) && score > 0) out.set(flat[i], score);
  }
  return out;
}
