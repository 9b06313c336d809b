/** Headers a dead-lettered record carries besides the original ones (all UTF-8 strings). */
export const DEAD_LETTER_HEADERS = {
  errorClass: 'x-error-class',
  reason: 'x-error-reason',
  message: 'x-error-message',
  sourceTopic: 'x-source-topic',
  sourcePartition: 'x-source-partition',
  sourceOffset: 'x-source-offset',
  consumerGroup: 'x-consumer-group',
  /** ISO 8601 time of the failure. */
  failedAt: 'x-failed-at',
} as const;

const DEAD_LETTER_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DEAD_LETTER_HEADERS));

/** True for the headers this service adds (a redrive strips them before re-producing). */
export function isDeadLetterHeader(name: string): boolean {
  return DEAD_LETTER_HEADER_NAMES.has(name);
}
