// Two error families, as the house style asks: the dependency is unavailable (retry later,
// never dead-letter) versus the request itself is wrong (retrying cannot help).

/** Qdrant (or another backing store) is down, timing out or answering 5xx after our retries. */
export class VectorStoreUnavailableError extends Error {
  override readonly name = 'VectorStoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The request was rejected: wrong dimension, invalid filter, reserved payload key, 4xx. */
export class VectorStoreRequestError extends Error {
  override readonly name = 'VectorStoreRequestError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** searchByPointId was asked about an id that is not stored. */
export class VectorPointNotFoundError extends Error {
  override readonly name = 'VectorPointNotFoundError';
  constructor(readonly pointId: string) {
    super(`No point with id ${JSON.stringify(pointId)}`);
  }
}

/** The existing collection does not have the configured vector size or distance. */
export class VectorCollectionMismatchError extends Error {
  override readonly name = 'VectorCollectionMismatchError';
}
