import { NowcastEvent } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { achievedRateOf, startLoad } from './load-generator';
import { round, summarize } from './percentiles';
import { TrialResult } from './rate-search';
import { SectionContext, sleep } from './section';
import { SuiteTarget } from './suite-target';

/** A probe that is not visible (or not gone) after this long counts as this, ms (quick, full). */
const PROBE_TIMEOUT_MS = { quick: 2_000, full: 5_000 };
/** The probes stop when this much time has gone (the figures say how many ran), ms (quick, full). */
const PROBE_BUDGET_MS = { quick: 30_000, full: 600_000 };
/** Follower/seller pairs the probes rotate over. */
const PAIRS = 20;
/** Probes run before the measured ones (connections, JIT, first fetches), discarded (quick, full). */
const WARMUP_PROBES = { quick: 3, full: 5 };
/** Rate under the probes when the ingest section did not run, events/s. */
const FALLBACK_RATE = 10_000;

const event = <T extends NowcastEvent['type']>(type: T, data: object): NowcastEvent =>
  ({ eventId: randomUUID(), type, schemaVersion: 1, occurredAt: Date.now(), data }) as NowcastEvent;

/**
 * dataLatency and endToGone, measured from the client's side while the simulator runs at half the
 * sustained ingest rate. Each probe: a follower of seller S (seller.followed, sent beforehand);
 * `stream.started` of a new stream of S produced -> the follower's feed (GET /v1/users/:id/feed,
 * polled back to back) lists it = dataLatency; then `stream.ended` produced -> the same feed no
 * longer lists it = endToGone. The probe streams share a category of their own and the feed is
 * asked for that category, so "listed" does not depend on how the ranker weighs a 0-viewer stream
 * against the simulator's; the data path is the real one: raw -> the enricher's lifecycle fast lane
 * (its round's lifecycle feed follows) -> the recommender's live set for the start and the end;
 * the follow through the aggregator into the user's Redis state (sent before the probes), read by
 * each feed request.
 */
export async function latencySection(ctx: SectionContext): Promise<void> {
  const o = ctx.options;
  const target = await ctx.target();
  // no sustained rate (the ingest section failed or was skipped): the lowest rate a trial reached
  const trials = (ctx.details.ingest as { trials?: TrialResult[] } | undefined)?.trials ?? [];
  const reached = trials.length > 0 ? Math.min(...trials.map((t) => t.achievedRate)) : null;
  const full = ctx.result.ingest.eventsPerSec ?? o.ingestRate ?? reached;
  const rate = Math.max(100, Math.round((full ?? FALLBACK_RATE) / 2));
  if (ctx.result.ingest.eventsPerSec === null && o.ingestRate === undefined)
    ctx.notes.push(`latency: no sustained ingest rate; probes under ${rate} ev/s asked of the generator`);
  const id = randomUUID().slice(0, 8);
  const category = `bench-probe-${id}`;
  const pairs = Array.from({ length: PAIRS }, (_, k) => ({ user: `bu-${id}-${k}`, seller: `bs-${id}-${k}` }));
  const load = startLoad({ sink: target.loadSink, rate, durationSec: 3_600, seed: 77, live: true });
  const cpu0 = process.cpuUsage();
  const timeoutMs = o.quick ? PROBE_TIMEOUT_MS.quick : PROBE_TIMEOUT_MS.full;
  const warmup = o.quick ? WARMUP_PROBES.quick : WARMUP_PROBES.full;
  const visible: number[] = [];
  const gone: number[] = [];
  let timeouts = 0;
  let requests = 0;
  try {
    ctx.progress(`load ${rate.toLocaleString('en-US')} ev/s: generator starting`);
    await load.started;
    ctx.progress(`load ${rate.toLocaleString('en-US')} ev/s: followers`);
    await sleep(o.quick ? 1_000 : 2_000);
    await Promise.all(
      pairs.map(({ user, seller }) =>
        target.produce(event('seller.followed', { userId: user, sellerId: seller })),
      ),
    );
    // the follows reach Redis within the pipeline's lag (a late one only slows a warm-up probe)
    await sleep(o.quick ? 1_500 : 3_000);
    const total = warmup + o.probes;
    const deadline = Date.now() + (o.quick ? PROBE_BUDGET_MS.quick : PROBE_BUDGET_MS.full);
    for (let i = 0; i < total; i++) {
      if (Date.now() > deadline) {
        ctx.notes.push(
          `latency: probe budget spent after ${Math.max(0, i - warmup)} of ${o.probes} probes (${timeoutMs} ms timeout each)`,
        );
        break;
      }
      const { user, seller } = pairs[i % PAIRS];
      const streamId = `bp-${id}-${i}`;
      const feed = `${target.recommenderUrl}/v1/users/${user}/feed?limit=20&category=${category}`;
      const start = event('stream.started', {
        streamId,
        sellerId: seller,
        title: `probe ${i}`,
        category,
        tags: [],
        language: 'en',
      });
      const up = await probe(target, start, feed, streamId, true, timeoutMs);
      const end = event('stream.ended', { streamId });
      const down = await probe(target, end, feed, streamId, false, timeoutMs);
      requests += up.requests + down.requests;
      if (i >= warmup) {
        visible.push(up.ms);
        gone.push(down.ms);
        timeouts += Number(up.timedOut) + Number(down.timedOut);
      }
      if (i % 10 === 0)
        ctx.progress(
          `probe ${i + 1}/${total}: visible ${up.ms.toFixed(1)} ms, gone ${down.ms.toFixed(1)} ms`,
        );
      await sleep(10 + Math.random() * 40); // probes off the batching rhythm
    }
  } finally {
    load.stop();
  }
  const report = await load.done.catch(() => load.progress());
  const achieved = achievedRateOf(report);
  const v = summarize(visible);
  const g = summarize(gone);
  ctx.result.dataLatency = { p50: v.p50, p99: v.p99, atEventsPerSec: Math.round(achieved) };
  ctx.result.endToGone = { p50: g.p50, p99: g.p99 };
  const cpu = process.cpuUsage(cpu0);
  ctx.details.latency = {
    method: 'produce -> follower feed lists the new stream / no longer lists the ended one (client side)',
    askedEventsPerSec: rate,
    loadRejected: report.rejected,
    probes: visible.length,
    timeouts,
    dataLatencyMs: v,
    endToGoneMs: g,
    feedPollsPerProbe: round(requests / Math.max(1, 2 * (visible.length + warmup)), 1),
    probeTimeoutMs: timeoutMs,
    suiteCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    loadAverage1m: round(loadavg()[0]),
  };
  if (timeouts > 0)
    ctx.notes.push(`latency: ${timeouts} probes hit the ${timeoutMs} ms timeout (counted as such)`);
}

/** Produces `e`, then polls `feed` until it lists (or stops listing) `streamId`; ms from the produce call. */
async function probe(
  target: SuiteTarget,
  e: NowcastEvent,
  feed: string,
  streamId: string,
  wantListed: boolean,
  timeoutMs: number,
): Promise<{ ms: number; timedOut: boolean; requests: number }> {
  const t0 = performance.now();
  await target.produce(e);
  let requests = 0;
  for (;;) {
    requests++;
    const body = await fetch(feed, { signal: AbortSignal.timeout(timeoutMs) })
      .then((r) => r.json() as Promise<{ items?: { streamId: string }[] }>)
      .catch(() => ({ items: undefined }));
    const listed = body.items?.some((item) => item.streamId === streamId);
    const ms = performance.now() - t0;
    if (listed !== undefined && listed === wantListed) return { ms, timedOut: false, requests };
    if (ms > timeoutMs) return { ms: timeoutMs, timedOut: true, requests };
  }
}
