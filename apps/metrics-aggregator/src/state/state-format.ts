/**
 * The format of the aggregator's state in Redis, stored in `<P>agg:format` (docs/key-layout.md).
 * The apply script refuses a batch, before any write, when the stored format is newer than its
 * own: an older instance that a rolling update has not replaced yet then fails its batches (they
 * are redelivered, to the new instances once the partitions move) instead of writing a layout it
 * does not know. Raise it with every change of layout that older code cannot read; newer code
 * must still read the previous format (the stored value is raised by the first batch it applies).
 * Format 2: the binary stream hash of packed-stream.codec.ts. Versions before the gate do not
 * check it, hence a Recreate rollout for the upgrade to format 2 (docs/deploy.md).
 */
export const AGGREGATE_STATE_FORMAT = 2;

/** A batch refused by the format gate: this instance is older than the state it would write. */
export class NewerStateFormatError extends Error {
  override readonly name = 'NewerStateFormatError';

  constructor(readonly storedFormat: number) {
    super(
      `the aggregate state is format ${storedFormat}, newer than this aggregator's ${AGGREGATE_STATE_FORMAT}: ` +
        'nothing was written; a newer instance must apply this batch',
    );
  }
}
