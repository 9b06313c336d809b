import { ConfigValidationError, defineEnvSchema, loadConfig } from '@app/config';
import { aggregatorEnv, parseWeights } from './aggregator.env';
import { DEFAULT_AGGREGATOR_SETTINGS, DEFAULT_SCORE_WEIGHTS } from './aggregator.settings';

const schema = defineEnvSchema({ aggregator: aggregatorEnv() });

describe('aggregatorEnv', () => {
  it('defaults to the documented settings', () => {
    const config = loadConfig(schema, {});
    expect(config.aggregator).toEqual({
      groupId: 'metrics-aggregator',
      storage: 'redis',
      settings: DEFAULT_AGGREGATOR_SETTINGS,
    });
  });

  it('maps variables and score weights', () => {
    const config = loadConfig(schema, { STREAM_LEASE_MS: '30000', SCORE_WEIGHTS: 'bids=3, viewers=0.5' });
    expect(config.aggregator.settings.streamLeaseMs).toBe(30_000);
    expect(config.aggregator.settings.scoreWeights).toEqual({
      ...DEFAULT_SCORE_WEIGHTS,
      bids: 3,
      viewers: 0.5,
    });
  });

  it('rejects bad values with the variable names', () => {
    expect(() => loadConfig(schema, { STREAM_LEASE_MS: '5', SCORE_WEIGHTS: 'bids' })).toThrow(
      ConfigValidationError,
    );
    expect(() => parseWeights('nope=1', DEFAULT_SCORE_WEIGHTS)).toThrow(/known: viewers/);
  });

  it('takes 0 (never) or at least a day for the user engagement TTL', () => {
    expect(loadConfig(schema, { USER_ENGAGEMENT_TTL_SEC: '0' }).aggregator.settings.userTtlSec).toBe(0);
    expect(loadConfig(schema, { USER_ENGAGEMENT_TTL_SEC: '86400' }).aggregator.settings.userTtlSec).toBe(
      86_400,
    );
    expect(() => loadConfig(schema, { USER_ENGAGEMENT_TTL_SEC: '3600' })).toThrow(
      /USER_ENGAGEMENT_TTL_SEC must be 0 \(never\) or at least 86400 seconds/,
    );
    expect(() => loadConfig(schema, { USER_ENGAGEMENT_TTL_SEC: 'soon' })).toThrow(/USER_ENGAGEMENT_TTL_SEC/);
  });
});
