/** Which step of the Kafka readiness probe failed. */
export type KafkaCheckStage = 'connect' | 'describeCluster';

/**
 * The Kafka probe failed: says which step, against which brokers, and why. kafkajs' own errors
 * alone mislead here (see `explainKafkaFailure`).
 */
export class KafkaCheckError extends Error {
  override readonly name = 'KafkaCheckError';
  constructor(
    readonly stage: KafkaCheckStage,
    readonly brokers: readonly string[],
    cause: unknown,
  ) {
    super(`kafka ${stage} to ${brokers.join(',')} failed: ${explainKafkaFailure(cause)}`, { cause });
  }
}

/**
 * kafkajs' describeCluster on an admin whose broker went away: every broker's request fails, its
 * broker pool swallows each error and yields null, and describeCluster then throws a TypeError
 * ("Cannot destructure property 'brokers' ... as it is null") that names no broker and no cause.
 */
export function explainKafkaFailure(cause: unknown): string {
  if (cause instanceof TypeError) return 'no broker answered (connection to every known broker lost)';
  return cause instanceof Error ? `${cause.message} (${cause.name})` : String(cause);
}
