import { RankingProfile, RankingSignal, RankingWeights } from './ranking.types';

/**
 * Named profiles (RANKING_PROFILE). Features are in [0, 1] (shownIgnored too, subtracted), so a
 * weight is directly the most a signal can add. Documented effects:
 * - `balanced`: repeat affinity dominates (live shopping is mostly loyal viewers coming back),
 *   then similarity, then live engagement; ignored impressions sink a stream below fresh ones.
 * - `discovery`: similarity and freshness dominate; sellers already watched count little, so
 *   the same user sees new sellers first.
 * - `popular`: live engagement (viewers, bids, GMV) dominates: the "what's hot now" ordering.
 */
export const RANKING_PROFILES: Readonly<Record<string, RankingWeights>> = {
  balanced: {
    similarity: 1.0,
    repeat: 2.0,
    follow: 1.0,
    category: 0.5,
    viewers: 0.4,
    velocity: 0.15,
    bids: 0.3,
    chats: 0.15,
    gmv: 0.2,
    freshness: 0.3,
    shownIgnored: 1.5,
  },
  discovery: {
    similarity: 2.0,
    repeat: 0.3,
    follow: 0.3,
    category: 0.6,
    viewers: 0.3,
    velocity: 0.3,
    bids: 0.2,
    chats: 0.2,
    gmv: 0.1,
    freshness: 0.8,
    shownIgnored: 1.5,
  },
  popular: {
    similarity: 0.3,
    repeat: 0.5,
    follow: 0.3,
    category: 0.2,
    viewers: 2.0,
    velocity: 0.8,
    bids: 1.0,
    chats: 0.5,
    gmv: 1.0,
    freshness: 0.2,
    shownIgnored: 1.0,
  },
};

export const DEFAULT_RANKING_PROFILE = 'balanced';

/** The named profile with `overrides` (e.g. from RANKING_WEIGHTS) applied on top. */
export function rankingProfile(
  name: string,
  caps: RankingProfile['caps'],
  overrides: Partial<Record<RankingSignal, number>> = {},
): RankingProfile {
  const base = RANKING_PROFILES[name];
  if (!base)
    throw new Error(`unknown ranking profile "${name}" (known: ${Object.keys(RANKING_PROFILES).join(', ')})`);
  return { name, weights: { ...base, ...overrides }, caps };
}
