import { VectorStoreRequestError, VectorStoreUnavailableError } from './vector-store.error';

export interface RetryPolicy {
  /** Total tries including the first. */
  maxAttempts: number;
  /** First backoff; doubles per attempt, full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2_000 };

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** HTTP status of a Qdrant client ApiError (openapi-typescript-fetch), if any. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  return typeof error.status === 'number' ? error.status : undefined;
}

/** Qdrant's `{status: {error}}` message from an ApiError body, else the error message. */
export function qdrantErrorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'data' in error) {
    const data = error.data as { status?: { error?: unknown } } | null;
    if (typeof data?.status?.error === 'string') return data.status.error;
  }
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/**
 * Retry only what another try can fix: no connection, connection dropped, our request timeout
 * (QdrantClientTimeoutError, an AbortError before the client wraps it), 5xx and 429. Every operation we send is idempotent (upsert by id,
 * delete by id, merge payload), so repeating one after an unknown outcome is safe. 4xx never.
 */
export function isRetryable(error: unknown): boolean {
  const status = httpStatusOf(error);
  if (status !== undefined) return status >= 500 || status === 429;
  if (typeof error !== 'object' || error === null) return false;
  // Duck-typed, not instanceof: fetch errors come from undici's realm (and jest's vm differs).
  const { name, message, code, cause } = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: unknown;
  };
  if (name === 'QdrantClientTimeoutError' || name === 'AbortError' || name === 'TimeoutError') return true;
  const causeCode =
    typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  for (const c of [code, causeCode]) if (typeof c === 'string' && CONNECTION_CODES.has(c)) return true;
  // undici reports network failures as TypeError('fetch failed') with the socket error as cause.
  return name === 'TypeError' && message === 'fetch failed';
}

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation`, retrying retryable failures with exponential backoff and full jitter. Gives
 * up with VectorStoreUnavailableError (dependency family: the caller backs off and keeps the
 * message) or maps a 4xx to VectorStoreRequestError at once.
 */
export async function withRetry<T>(
  what: string,
  operation: () => Promise<T>,
  policy: RetryPolicy,
  sleep: Sleep = realSleep,
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isRetryable(error)) {
        const status = httpStatusOf(error);
        if (status === undefined) throw error;
        throw new VectorStoreRequestError(
          `Qdrant ${what} failed (${status}): ${qdrantErrorMessage(error)}`,
          status,
          {
            cause: error,
          },
        );
      }
      if (attempt >= policy.maxAttempts) {
        throw new VectorStoreUnavailableError(
          `Qdrant ${what} failed after ${attempt} attempts: ${qdrantErrorMessage(error)}`,
          { cause: error },
        );
      }
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.round(random() * ceiling));
    }
  }
}
