/**
 * A dedupe mark records where an eventId was first seen: `<partition>:<offset>` of the raw topic.
 * `SET mark NX GET` returns the previous mark (null if none), and that decides.
 */
export type DedupeDecision = 'new' | 'redelivery' | 'duplicate';

export function dedupeMark(partition: number, offset: string): string {
  return `${partition}:${offset}`;
}

/**
 * No previous mark: first sighting. A previous mark equal to this message's own position: the same
 * message again (a batch redelivered after an aborted transaction, or a command resent after a
 * reconnect), so it must be processed, not dropped. Any other mark: a client duplicate.
 */
export function decideDedupe(previousMark: string | null, ownMark: string): DedupeDecision {
  if (previousMark === null) return 'new';
  return previousMark === ownMark ? 'redelivery' : 'duplicate';
}
