import { isRetryable, withRetry } from './qdrant-retry.policy';
import { VectorStoreRequestError, VectorStoreUnavailableError } from './vector-store.error';

const apiError = (status: number, error = 'boom') =>
  Object.assign(new Error('api'), { status, data: { status: { error } } });

describe('Qdrant retry policy', () => {
  it('classifies connection errors, timeouts, 5xx and 429 as retryable, 4xx not', () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(isRetryable(refused)).toBe(true);
    expect(isRetryable(Object.assign(new Error('t'), { name: 'QdrantClientTimeoutError' }))).toBe(true);
    expect(isRetryable(apiError(503))).toBe(true);
    expect(isRetryable(apiError(429))).toBe(true);
    expect(isRetryable(apiError(400))).toBe(false);
    expect(isRetryable(apiError(404))).toBe(false);
    expect(isRetryable(new Error('programming error'))).toBe(false);
  });

  it('backs off exponentially with full jitter, capped, then reports unavailable', async () => {
    const delays: number[] = [];
    const op = jest.fn(() => Promise.reject(apiError(500)));
    const run = withRetry(
      'count',
      op,
      { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500 },
      (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      () => 1,
    );
    await expect(run).rejects.toBeInstanceOf(VectorStoreUnavailableError);
    expect(op).toHaveBeenCalledTimes(5);
    expect(delays).toEqual([100, 200, 400, 500]);
  });

  it('maps a 4xx to VectorStoreRequestError without retrying', async () => {
    const op = jest.fn(() => Promise.reject(apiError(422, 'Wrong input')));
    await expect(withRetry('upsert', op, { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1 })).rejects.toThrow(
      VectorStoreRequestError,
    );
    expect(op).toHaveBeenCalledTimes(1);
  });
});
