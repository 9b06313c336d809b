/** One trial of the ingest rate search: `targetRate` asked of the load generator for a window. */
export interface TrialResult {
  /** events/s asked of the generator */
  targetRate: number;
  /** events/s it actually produced over the window */
  achievedRate: number;
  /** Largest consumer lag seen during the window, s (any group, any partition). */
  maxLagSec: number;
  pass: boolean;
  /** Why it failed (lag, rejected requests...) or a note. */
  note?: string;
}

export interface RateSearchOptions {
  startRate: number;
  /** Never ask for more than this, events/s. */
  maxRate: number;
  /** Give up ramping down below this, events/s. */
  minRate: number;
  /** Ramp factor while no trial has failed (or none passed). */
  growth: number;
  /** Stop bisecting when (fail - pass) / pass <= tolerance. */
  tolerance: number;
  maxTrials: number;
  /**
   * A passing trial whose achieved rate is below this share of its target means the load generator,
   * not the pipeline, is the limit: ramping further would measure the generator.
   */
  generatorShare: number;
}

export interface RateSearchResult {
  /** The passing trial with the highest achieved rate; null when none passed. */
  best: TrialResult | null;
  trials: TrialResult[];
  /** 'generator' when the load generator could not produce faster; 'pipeline' when a rate failed. */
  limitedBy: 'pipeline' | 'generator' | 'max-rate' | 'trials' | 'none-passed';
}

/**
 * The next rate to try, or null to stop. Ramps up by `growth` from the start until a trial fails,
 * ramps down when the first one fails, then bisects between the best pass and the lowest failure.
 * Pure: the ingest section runs the trials.
 */
export function nextRate(trials: readonly TrialResult[], o: RateSearchOptions): number | null {
  if (trials.length === 0) return o.startRate;
  if (trials.length >= o.maxTrials) return null;
  const passes = trials.filter((t) => t.pass);
  const fails = trials.filter((t) => !t.pass);
  const lo = passes.length > 0 ? Math.max(...passes.map((t) => t.targetRate)) : null;
  const failsAbove = fails.filter((t) => lo === null || t.targetRate > lo).map((t) => t.targetRate);
  const hi = failsAbove.length > 0 ? Math.min(...failsAbove) : null;
  const last = trials[trials.length - 1];
  if (last.pass && last.achievedRate < o.generatorShare * last.targetRate) return null;
  let next: number;
  if (hi === null) {
    if (lo === null || lo >= o.maxRate) return null;
    next = Math.min(o.maxRate, lo * o.growth);
  } else if (lo === null) {
    next = hi / o.growth;
    if (next < o.minRate) return null;
  } else {
    if ((hi - lo) / lo <= o.tolerance) return null;
    next = (lo + hi) / 2;
  }
  return Math.round(next / 100) * 100;
}

export function conclude(trials: readonly TrialResult[], o: RateSearchOptions): RateSearchResult {
  const passes = trials.filter((t) => t.pass);
  const best = passes.reduce<TrialResult | null>(
    (b, t) => (b === null || t.achievedRate > b.achievedRate ? t : b),
    null,
  );
  const last = trials[trials.length - 1];
  let limitedBy: RateSearchResult['limitedBy'];
  if (!best) limitedBy = 'none-passed';
  else if (last?.pass && last.achievedRate < o.generatorShare * last.targetRate) limitedBy = 'generator';
  else if (trials.some((t) => !t.pass)) limitedBy = 'pipeline';
  else if (best.targetRate >= o.maxRate) limitedBy = 'max-rate';
  else limitedBy = 'trials';
  return { best, trials: [...trials], limitedBy };
}

/** Runs `trial` at the rates nextRate() picks until it says stop. */
export async function searchRate(
  trial: (rate: number) => Promise<TrialResult>,
  options: RateSearchOptions,
): Promise<RateSearchResult> {
  const trials: TrialResult[] = [];
  for (let rate = nextRate(trials, options); rate !== null; rate = nextRate(trials, options))
    trials.push(await trial(rate));
  return conclude(trials, options);
}

/** A high watermark (messages appended so far) of one partition at a wall-clock time. */
export interface OffsetSample {
  atMs: number;
  highWatermark: number;
}

/**
 * How old, in seconds, the oldest message a group has not committed yet is: the time since the
 * partition's high watermark first passed the committed offset (linear between samples). 0 when
 * the group is caught up. `history` is in time order and must include a sample at or before `nowMs`.
 */
export function lagSeconds(history: readonly OffsetSample[], committed: number, nowMs: number): number {
  const latest = history[history.length - 1];
  if (!latest || latest.highWatermark <= committed) return 0;
  // the message at offset `committed` was appended when the watermark went past committed
  const i = history.findIndex((s) => s.highWatermark > committed);
  if (i <= 0) return Math.max(0, (nowMs - (history[0]?.atMs ?? nowMs)) / 1000);
  const before = history[i - 1];
  const after = history[i];
  const share = (committed + 1 - before.highWatermark) / (after.highWatermark - before.highWatermark);
  const appendedAt = before.atMs + Math.min(1, Math.max(0, share)) * (after.atMs - before.atMs);
  return Math.max(0, (nowMs - appendedAt) / 1000);
}
