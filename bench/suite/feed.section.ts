import { SectionContext, pick } from './section';
import { round } from './percentiles';

const CONNECTIONS = 32;
const STREAMS = 10_000;
const USERS = 100_000;
/** --quick: writing 100k users' state to Redis took 237 s at load average ~22 (the feed bench's setup). */
const QUICK_USERS = 20_000;

/**
 * feed.*: bench/feed.bench.ts (its team's): the recommender API in its own process over 10k live
 * 128-d streams and 100k users' state in Redis, a closed-loop HTTP load generator at 32 connections
 * (`--feed-generator`: wrk when installed, it takes ~1/4 of autocannon's CPU per request from the
 * cores the server shares; else autocannon); req/s and latency p50/p99 as the median of its runs.
 * The same in both modes (it is the recommender's own path). The API runs as `--feed-workers`
 * processes sharing the port (HTTP_WORKERS; default one per core).
 */
export async function feedSection(ctx: SectionContext): Promise<void> {
  const o = ctx.options;
  const users = o.quick ? QUICK_USERS : USERS;
  const args = [
    '--redis',
    o.redisUrl,
    '--connections',
    String(CONNECTIONS),
    '--streams',
    String(STREAMS),
    '--users',
    String(users),
    '--duration',
    o.quick ? '5' : '20',
    '--runs',
    o.quick ? '1' : '3',
    '--workers',
    String(o.feedWorkers),
    '--generator',
    o.feedGenerator,
  ];
  ctx.progress(`feed bench (${args.slice(2).join(' ')})`);
  const bench = await import('../feed.bench');
  const figures = await bench.run(args);
  ctx.result.feed = {
    rps: round(pick(figures, 'reqPerSec', 'median'), 0),
    p50: round(pick(figures, 'latencyMs', 'p50')),
    p99: round(pick(figures, 'latencyMs', 'p99')),
    concurrency: CONNECTIONS,
    liveStreams: STREAMS,
    users,
  };
  ctx.details.feed = { args, figures };
  ctx.notes.push(
    `feed: the API as ${o.feedWorkers} process(es) sharing the port (HTTP_WORKERS), load from ${o.feedGenerator}`,
  );
  if (o.quick) ctx.notes.push(`feed: one 5 s run, ${users.toLocaleString('en-US')} users (--quick)`);
}
