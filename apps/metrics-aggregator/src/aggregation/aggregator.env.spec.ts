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
});
