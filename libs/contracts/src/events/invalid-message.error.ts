/** Why a message is poison (goes to the dead-letter topic, or a 400 at the ingress). */
export type InvalidMessageReason =
  'not-json' | 'too-large' | 'unknown-type' | 'unsupported-version' | 'invalid-field';

/** One problem, naming the field by its path in the message: `data.amount`, `data.streamIds.2`. */
export interface InvalidMessageIssue {
  path: string;
  message: string;
}

/**
 * A problem of the message itself (never of a dependency): invalid JSON, unknown type, wrong
 * version, too large, or an invalid/missing field. Consumers dead-letter it and go on.
 */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';

  constructor(
    readonly reason: InvalidMessageReason,
    readonly issues: readonly InvalidMessageIssue[],
  ) {
    super(`${reason}: ${issues.map((i) => i.message).join('; ')}`);
  }

  /** A single-issue error. */
  static of(reason: InvalidMessageReason, path: string, message: string): InvalidMessageError {
    return new InvalidMessageError(reason, [{ path, message }]);
  }
}
