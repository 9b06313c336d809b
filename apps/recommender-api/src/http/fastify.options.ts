import { SAFE_ID_PATTERN } from '@app/contracts';

/** Ids in paths (userId, streamId) are 1-128 characters (SAFE_ID_PATTERN, libs/contracts). */
export const MAX_ID_LENGTH = 128;

/**
 * Longest path parameter the router accepts, characters (Fastify's default is 100, below the
 * 128-character ids we accept). Up to this length a parameter reaches validation: a valid id
 * gets its answer (200, or 404 when unknown), an invalid one a 400 naming the field. Longer ones
 * get Fastify's 414 URI Too Long. Never a 5xx.
 */
export const MAX_PARAM_LENGTH = 2 * MAX_ID_LENGTH;

/** The id limit as documented in OpenAPI. */
export const ID_LIMIT_DOC = `1-${MAX_ID_LENGTH} characters of A-Z a-z 0-9 . _ : - (longer: 400 up to ${MAX_PARAM_LENGTH} characters, then 414 URI Too Long).`;

/**
 * Options of the recommender's FastifyAdapter (main.ts, the one-process mode, tests, benchmarks).
 * Under `routerOptions`: Fastify 5 deprecates router options at the top level (FSTDEP022).
 */
export function recommenderFastifyOptions(): { routerOptions: { maxParamLength: number } } {
  return { routerOptions: { maxParamLength: MAX_PARAM_LENGTH } };
}

// fail at load if the shared id rule and this limit drift apart
if (!SAFE_ID_PATTERN.test('a'.repeat(MAX_ID_LENGTH)) || SAFE_ID_PATTERN.test('a'.repeat(MAX_ID_LENGTH + 1)))
  throw new Error('SAFE_ID_PATTERN no longer allows 1-128 characters: update MAX_ID_LENGTH');
