import { loadavg } from 'node:os';
import { startCpuAccount } from './cpu-account';
import { LoadReport, achievedRateOf, startLoad } from './load-generator';
import { round } from './percentiles';
import { RateSearchOptions, TrialResult, searchRate } from './rate-search';
import { SectionContext, sleep } from './section';
import { SuiteTarget } from './suite-target';

/** Lag sampling period during a trial, ms. */
const SAMPLE_MS = 500;
/** A trial is cut short once lag passes this: it has failed, and the drain would take long, s (quick, full). */
const ABORT_LAG_SEC = { quick: 3, full: 5 };
/** Longest wait for the pipeline to drain between trials, ms (quick, default). */
const DRAIN_MS = { quick: 10_000, full: 60_000 };
/**
 * Load before the first trial, s (quick, full), at half the start rate: the services start with
 * the suite, and a fresh process runs unoptimised code and has not sized its heap. Without it the
 * first trial measured the warm-up: in session 18's stall tracer runs at 4,400 events/s the first
 * 60 s phase lagged 1.7 s, the next four 0.40-0.65 s (docs/benchmarks-history.md, session 18).
 */
const WARM_UP_SEC = { quick: 5, full: 30 };

interface TrialDetail extends TrialResult {
  /** max lag per consumer over the window, s */
  maxLagByConsumer: Record<string, number>;
  generatorCpuUsPerEvent: number | null;
  /**
   * CPU time per event written over the window (and the second after it), us: the whole machine
   * (/proc/stat) and each of the target's processes. The rate a VM sustains varies by tens of
   * percent from hour to hour with the same code; the CPU an event costs far less. Compare
   * passing trials of the same rate: it falls as the rate grows (larger batches), and a failing
   * trial's backlog is processed after the window, so its figure is too low.
   */
  cpuUsPerEvent: Record<string, number> | null;
  loadAverage1m: number;
  drainMs: number;
  /** false: some group still lagged when the drain wait ended (the next trial starts behind) */
  drained: boolean;
  /** shows the trial's world left live, ended by the generator after the window (then drained) */
  closedShows: number;
}

/**
 * ingest.eventsPerSec: the highest simulator rate the whole pipeline sustains with every consumer
 * group's lag under 1 s for the whole window (60 s; 15 s with --quick). Ramp x2 from the start
 * rate, then bisect between the best pass and the lowest failure (rate-search.ts).
 */
export async function ingestSection(ctx: SectionContext): Promise<void> {
  const o = ctx.options;
  const target = await ctx.target();
  // nowcast's lag comes from the feed's asOf, which stands still while no events flow: skip the
  // first seconds of each trial there; the broker's offsets (mesh) need no warm-up
  const warmupMs = target.mode === 'embedded' ? 3_000 : 0;
  const trials: TrialDetail[] = [];
  const search: RateSearchOptions = {
    startRate: o.startRate,
    maxRate: o.maxRate,
    minRate: 500,
    growth: 2,
    tolerance: 0.1,
    maxTrials: o.maxTrials,
    generatorShare: 0.7,
  };
  const warmUp = await warmUpPipeline(ctx, target, warmupMs);
  const outcome = await searchRate(async (rate) => {
    const detail = await trial(ctx, target, rate, trials.length, warmupMs);
    trials.push(detail);
    return detail;
  }, search);
  ctx.result.ingest.eventsPerSec = outcome.best ? Math.round(outcome.best.achievedRate) : null;
  ctx.details.ingest = {
    trialSec: o.trialSec,
    maxLagSec: o.maxLagSec,
    limitedBy: outcome.limitedBy,
    warmUp,
    trials,
  };
  const best = trials.find((t) => t === outcome.best);
  if (best?.cpuUsPerEvent) {
    const parts = Object.entries(best.cpuUsPerEvent).map(([name, us]) => `${name} ${us}`);
    ctx.notes.push(
      `ingest: CPU per event at ${best.achievedRate.toLocaleString('en-US')} ev/s, us: ${parts.join(', ')}`,
    );
  }
  if (outcome.limitedBy === 'generator')
    ctx.notes.push('ingest: the load generator (simulator) was the limit, not the pipeline');
  if (o.quick) ctx.notes.push(`ingest: ${o.trialSec} s trials, ${o.maxTrials} at most (--quick)`);
}

/** Runs a world of its own through the pipeline (not measured), then waits for it to drain. */
async function warmUpPipeline(
  ctx: SectionContext,
  target: SuiteTarget,
  warmupMs: number,
): Promise<{ rate: number; sec: number; achievedRate: number; drained: boolean }> {
  const o = ctx.options;
  const rate = Math.round(o.startRate / 2);
  const sec = o.quick ? WARM_UP_SEC.quick : WARM_UP_SEC.full;
  ctx.progress(`warm-up: ${rate.toLocaleString('en-US')} ev/s for ${sec} s (not measured)`);
  const load = startLoad({ sink: target.loadSink, rate, durationSec: sec, seed: 999, idPrefix: 'warm.' });
  const report = await load.done;
  const drained = await drain(target, warmupMs, o.quick);
  if (!drained) ctx.notes.push('ingest: the warm-up did not drain in time; the first trial started behind');
  const achievedRate = Math.round(achievedRateOf(report));
  return { rate, sec, achievedRate, drained };
}

async function trial(
  ctx: SectionContext,
  target: SuiteTarget,
  rate: number,
  index: number,
  warmupMs: number,
): Promise<TrialDetail> {
  const o = ctx.options;
  // each trial a marketplace of its own (its own users, sellers and streams, its shows ended after
  // it): no trial runs with another's shows live or its users' histories. The services still keep
  // the earlier trials' users in memory (docs/benchmarks-history.md, session 17)
  const load = startLoad({
    sink: target.loadSink,
    rate,
    durationSec: o.trialSec,
    seed: 1_000 + index,
    idPrefix: `t${index + 1}.`,
  });
  const byConsumer: Record<string, number> = {};
  let maxLag = 0;
  let unmeasured = 0;
  let finished = false;
  let report: LoadReport | undefined;
  let failure: Error | undefined;
  const done = load.done.then(
    (r) => {
      finished = true;
      report = r;
    },
    (error: Error) => {
      finished = true;
      failure = error;
    },
  );
  ctx.progress(`trial ${index + 1}: ${rate.toLocaleString('en-US')} ev/s, generator starting`);
  await load.started;
  // A watermark sample at the window's start. Without it the last one was taken before the
  // generator pre-simulated the window (seconds), and lagSeconds, interpolating linearly between
  // samples, dated the window's first messages back into that idle gap: phantom lags of ~0.5-1.5 s
  // in the first samples of a trial whatever its rate (measured: bench/hops-stalls.bench.ts).
  await target.lag().catch(() => null);
  const cpu = startCpuAccount(target.processes());
  const startedAt = Date.now();
  let tailUntil = Infinity;
  // sample through the window and one more second after it (the last events must drain too)
  while (Date.now() < tailUntil) {
    await sleep(SAMPLE_MS);
    if (finished && tailUntil === Infinity) tailUntil = Date.now() + 1_000;
    if (Date.now() - startedAt < warmupMs) continue;
    const lag = await target.lag().catch(() => null);
    if (!lag || lag.maxLagSec === null) {
      unmeasured++;
      continue;
    }
    maxLag = Math.max(maxLag, lag.maxLagSec);
    for (const [name, sec] of Object.entries(lag.byConsumer))
      byConsumer[name] = Math.max(byConsumer[name] ?? 0, sec);
    const p = load.progress();
    ctx.progress(
      `trial ${index + 1}: ${rate.toLocaleString('en-US')} ev/s asked, ${Math.round(achievedRateOf(p)).toLocaleString('en-US')} sent, lag ${lag.maxLagSec.toFixed(2)} s`,
    );
    if (lag.maxLagSec > (o.quick ? ABORT_LAG_SEC.quick : ABORT_LAG_SEC.full) && !finished) load.stop();
  }
  await done;
  const r = report ?? load.progress();
  const cpuUsPerEvent = cpu.perEvent(r.written);
  const achievedRate = achievedRateOf(r);
  const drainStarted = Date.now();
  ctx.progress(`trial ${index + 1}: draining`);
  const drained = await drain(target, warmupMs, o.quick);
  if (!drained)
    ctx.notes.push(`ingest: trial ${index + 1} did not drain in time; the next one started behind`);
  const problems = [
    maxLag >= o.maxLagSec ? `lag ${maxLag.toFixed(2)} s` : '',
    r.rejected > 0 ? `${r.rejected} events refused` : '',
    unmeasured > 2 ? `lag unmeasured ${unmeasured}x` : '',
    failure ? failure.message : '',
  ].filter(Boolean);
  return {
    targetRate: rate,
    achievedRate: Math.round(achievedRate),
    maxLagSec: round(maxLag, 3) ?? 0,
    pass: problems.length === 0,
    note: problems.join(', ') || undefined,
    maxLagByConsumer: byConsumer,
    generatorCpuUsPerEvent: round(r.cpuUs / Math.max(1, r.written + r.rejected), 1),
    cpuUsPerEvent,
    loadAverage1m: round(loadavg()[0]) ?? 0,
    drainMs: Date.now() - drainStarted,
    drained,
    closedShows: r.closedShows,
  };
}

/**
 * Waits until every group caught up (mesh: lag 0), or nowcast's asOf is within 1 s (it stands
 * still while nothing flows, so this may take the whole DRAIN_MS budget).
 */
async function drain(target: SuiteTarget, warmupMs: number, quick: boolean): Promise<boolean> {
  const caughtUp = (lag: number | null) => (warmupMs > 0 ? lag !== null && lag < 1 : lag === 0);
  const deadline = Date.now() + (quick ? DRAIN_MS.quick : DRAIN_MS.full);
  while (Date.now() < deadline) {
    const lag = await target.lag().catch(() => null);
    if (lag && caughtUp(lag.maxLagSec)) return true;
    await sleep(SAMPLE_MS);
  }
  return false;
}
