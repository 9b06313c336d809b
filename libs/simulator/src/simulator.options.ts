import { CategorySpec, DEFAULT_CATEGORIES, DEFAULT_LANGUAGES, LanguageSpec } from './catalog';

/** What the simulated world looks like. Every field but seed/startTimeMs has a default. */
export interface SimulatorOptions {
  seed: number;
  /** Event time of the first event, epoch ms. */
  startTimeMs: number;
  /** Target events per second of event time (the output rate). Default 200. */
  ratePerSec?: number;
  /** Population; by default sized from the rate (about 11,000 users and 1,100 sellers at 200 events/s). */
  users?: number;
  sellers?: number;
  categories?: readonly CategorySpec[];
  languages?: readonly LanguageSpec[];
  /** Share of sellers live at any time in steady state. Default 0.1. */
  liveFraction?: number;
  /** Median length of a show, minutes of event time. Default 45. */
  showMinutes?: number;
  /** Median length of one view (joining -> leaving a stream), minutes. Default 4. */
  watchMinutes?: number;
  /** Probability that a user with a favourite seller live goes back to one. Default 0.85. */
  repeatAffinity?: number;
  /** Probability of watching another stream right after one (same session). Default 0.35. */
  hopProbability?: number;
  /** Share of shows taken down by moderation (stream.removed). Default 0.005. */
  removalRate?: number;
  /** Share of shows whose encoder dies silently (no stream.ended: the lease must expire). Default 0.01. */
  silentDeathRate?: number;
  /**
   * Put before every user, seller and stream id (default none). Worlds with different prefixes
   * share no user, seller or stream, so one pipeline can take them one after another as separate
   * marketplaces (the benchmark's trials).
   */
  idPrefix?: string;
}

export type ResolvedSimulatorOptions = Required<SimulatorOptions>;

/** In-view actions per viewer per second at nominal intensity (chat, bids, giveaways, buys). */
export const NOMINAL_ACTIVITY_PER_VIEWER_SEC = 0.04;
/** Most of the population online at once (the rest gives arrivals someone to pick). */
const MAX_ONLINE_SHARE = 0.4;
/** Users are kept in memory; above this the per-viewer activity is raised instead. */
const MAX_DEFAULT_USERS = 200_000;

export function resolveOptions(options: SimulatorOptions): ResolvedSimulatorOptions {
  const ratePerSec = options.ratePerSec ?? 200;
  if (!(ratePerSec > 0)) throw new RangeError(`ratePerSec must be > 0: ${ratePerSec}`);
  // Viewers needed at nominal activity (joins/leaves add ~15%), and users so that ~40% are online.
  const viewers = ratePerSec / (NOMINAL_ACTIVITY_PER_VIEWER_SEC * 1.15);
  const users =
    options.users ?? Math.min(MAX_DEFAULT_USERS, Math.max(1_000, Math.ceil(viewers / MAX_ONLINE_SHARE)));
  const sellers = options.sellers ?? Math.max(20, Math.ceil(users / 10));
  const resolved: ResolvedSimulatorOptions = {
    seed: options.seed,
    startTimeMs: options.startTimeMs,
    ratePerSec,
    users,
    sellers,
    categories: options.categories ?? DEFAULT_CATEGORIES,
    languages: options.languages ?? DEFAULT_LANGUAGES,
    liveFraction: options.liveFraction ?? 0.1,
    showMinutes: options.showMinutes ?? 45,
    watchMinutes: options.watchMinutes ?? 4,
    repeatAffinity: options.repeatAffinity ?? 0.85,
    hopProbability: options.hopProbability ?? 0.35,
    removalRate: options.removalRate ?? 0.005,
    silentDeathRate: options.silentDeathRate ?? 0.01,
    idPrefix: options.idPrefix ?? '',
  };
  for (const key of [
    'liveFraction',
    'repeatAffinity',
    'hopProbability',
    'removalRate',
    'silentDeathRate',
  ] as const) {
    const value = resolved[key];
    if (!(value >= 0 && value <= 1)) throw new RangeError(`${key} must be in [0, 1]: ${value}`);
  }
  if (!(resolved.liveFraction > 0)) throw new RangeError('liveFraction must be > 0');
  if (!(resolved.users >= 1 && resolved.sellers >= 1)) throw new RangeError('users and sellers must be >= 1');
  if (!(resolved.showMinutes > 0 && resolved.watchMinutes > 0)) throw new RangeError('durations must be > 0');
  // the contracts' id pattern is [A-Za-z0-9._:-]{1,128}: a prefix outside it makes every event invalid
  if (!/^[A-Za-z0-9._:-]{0,64}$/.test(resolved.idPrefix))
    throw new RangeError(`idPrefix must be at most 64 of A-Z a-z 0-9 . _ : -: ${resolved.idPrefix}`);
  return resolved;
}

/** Online viewers the simulator aims for: enough for the rate, at most MAX_ONLINE_SHARE of users. */
export function targetViewers(options: ResolvedSimulatorOptions): number {
  const nominal = options.ratePerSec / (NOMINAL_ACTIVITY_PER_VIEWER_SEC * 1.15);
  return Math.max(1, Math.min(nominal, options.users * MAX_ONLINE_SHARE));
}
