import { ApiKeys, NodeEnv } from '@app/config';

export interface ApiAuthOptions {
  /** Keys by scope (the app's parsed API_KEYS). Empty = open, refused in production. */
  keys: ApiKeys;
  nodeEnv: NodeEnv;
  /** Per-key limit: `max` requests per `windowMs` (bursts up to `max`); max 0 = unlimited. */
  rateLimit: { max: number; windowMs: number };
}

export const API_AUTH_OPTIONS = Symbol('API_AUTH_OPTIONS');

/** Thrown at boot: production must never run an open API. */
export class MissingApiKeysError extends Error {
  override readonly name = 'MissingApiKeysError';
  constructor() {
    super('API_KEYS is required when NODE_ENV=production (refusing to start an open API)');
  }
}
