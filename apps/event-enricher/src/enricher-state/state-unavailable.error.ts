/**
 * The enricher's state store (Redis) is down or too slow: a dependency problem, never the
 * message's. Thrown out of the batch handler so the transaction aborts and the batch is
 * redelivered with backoff; nothing is dead-lettered or skipped.
 */
export class StateUnavailableError extends Error {
  override readonly name = 'StateUnavailableError';
}
