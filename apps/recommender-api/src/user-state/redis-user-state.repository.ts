import { RedisClient } from '@app/redis';
import { createHash } from 'node:crypto';
import type { Socket as NetStream } from 'node:net';
import { READ_USER_STATE_LUA } from './read-user-state.lua';
import { decodeUserStateReply } from './read-user-state.reply';
import {
  DEGRADED_USER_STATE,
  USER_STATE_READ_LIMITS,
  UserState,
  UserStateRepository,
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
/** The script's SHA1, as EVALSHA names it (ioredis computes the same for the defined command). */
const READ_SHA = createHash('sha1').update(READ_USER_STATE_LUA).digest('hex');
const READ_KEYS = 7;
/** The script's ARGV: the last rank of each head read (ZREVRANGE's inclusive stop). */
const READ_LAST_RANKS = [
  USER_STATE_READ_LIMITS.sellers - 1,
  USER_STATE_READ_LIMITS.categories - 1,
  USER_STATE_READ_LIMITS.shown - 1,
];

interface QueuedRead {
  args: (string | number)[];
  /** The reply, or null when the command failed. */
  done: (reply: unknown) => void;
}

/**
 * The user's state from Redis in ONE round trip of ONE command (read-user-state.lua: the vector,
 * the aggregator's heads and their counts joined server side, each list as one string, decoded by
 * read-user-state.reply.ts). The reads of all the requests handled in one turn of the event loop
 * leave together (one corked socket write, replies read together), sent from setImmediate: under
 * load that turns a write system call per request into one per batch. Never waits for a Redis
 * that is down: the client's offline queue would hold the request, so a not-ready client or a
 * missed deadline answers degraded with empty signals.
 */
export class RedisUserStateRepository extends UserStateRepository {
  private readonly readScript: ReadUserState;
  /** Reads issued since the last flush (sent together from setImmediate). */
  private queued: QueuedRead[] = [];

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: UserStateKeys,
    private readonly dimension: number,
  ) {
    super();
    const client = redis as unknown as Record<string, ReadUserState | undefined>;
    if (typeof client[`${COMMAND}Buffer`] !== 'function') {
      // loaded once per client, EVALSHA with a fallback to EVAL on NOSCRIPT (ioredis)
      redis.defineCommand(COMMAND, { numberOfKeys: READ_KEYS, lua: READ_USER_STATE_LUA });
    }
    const command = client[`${COMMAND}Buffer`] as ReadUserState;
    this.readScript = command.bind(redis);
  }

  read(userId: string, deadlineMs: number): Promise<UserState> {
    if (this.redis.status !== 'ready') return Promise.resolve(DEGRADED_USER_STATE);
    const args = [...this.readKeysOf(userId), ...READ_LAST_RANKS];
    // the reply or the deadline, whichever comes first, in one promise (no race of two)
    return new Promise<UserState>((resolve) => {
      let answered = false;
      const timer = setTimeout(() => {
        answered = true;
        resolve(DEGRADED_USER_STATE);
      }, deadlineMs);
      this.enqueue(args, (reply) => {
        clearTimeout(timer);
        if (answered) return; // late: the request went on degraded
        answered = true;
        resolve(reply === null ? DEGRADED_USER_STATE : this.decodeOrDegraded(reply));
      });
    });
  }

  private enqueue(args: (string | number)[], done: (reply: unknown) => void): void {
    this.queued.push({ args, done });
    if (this.queued.length === 1) setImmediate(this.flush);
  }

  /** One read: the defined command (EVALSHA, EVAL when the script is not loaded yet). */
  private sendOne(read: QueuedRead): void {
    this.readScript(...read.args).then(
      (reply) => read.done(reply),
      () => read.done(null),
    );
  }

  /**
   * Sends the turn's reads as single EVALSHA commands inside one cork of the socket (one write
   * system call for the batch). Not an ioredis Pipeline: on Node 20 every Pipeline instance gets a
   * hidden class of its own, which young-generation GC keeps alive with its commands, replies and
   * the feed requests waiting on them, so each scavenge copied and promoted ~1 MB more (measured
   * with `npm run bench -- feed ... --alloc-retained`, see docs/benchmarks-history.md, session 6).
   */
  private readonly flush = (): void => {
    const reads = this.queued;
    this.queued = [];
    if (reads.length === 1) return this.sendOne(reads[0]);
    const socket = this.redis.stream as NetStream | undefined;
    socket?.cork();
    for (const read of reads) {
      this.redis.callBuffer('evalsha', READ_SHA, READ_KEYS, ...read.args).then(
        (reply) => read.done(reply),
        // the script is not loaded on this server yet (or was flushed): the defined command loads it
        (error: Error) => (error.message.includes('NOSCRIPT') ? this.sendOne(read) : read.done(null)),
      );
    }
    if (socket) process.nextTick(() => socket.uncork());
  };

  async hasState(userId: string): Promise<boolean> {
    const base = `${this.keys.aggregatorNamespace}u:${userId}:`;
    // no `streams`: the aggregator stopped writing it, and in data of older versions it never
    // exists without `recent` (both were written by the same script call, trimmed to the same
    // bound and deleted together), so `recent` answers for it
    const count = await this.redis.exists(...this.readKeysOf(userId), `${base}recent`);
    return count > 0;
  }

  /** The script's READ_KEYS keys, in the order read-user-state.lua reads KEYS[1..7]. */
  private readKeysOf(userId: string): string[] {
    const base = `${this.keys.aggregatorNamespace}u:${userId}:`;
    return [
      `${this.keys.userVectorPrefix}${userId}`,
      `${base}sellers`,
      `${base}seller-counts`,
      `${base}follows`,
      `${base}categories`,
      `${base}shown`,
      `${base}shown-counts`,
    ];
  }

  private decodeOrDegraded(reply: unknown): UserState {
    try {
      // a literal, not a spread: see flush (an object spread per request gets its own hidden class)
      const { signals, vector } = userStateOf(decodeUserStateReply(reply, this.dimension));
      return { signals, vector, degraded: false };
    } catch {
      return DEGRADED_USER_STATE;
    }
  }
}
