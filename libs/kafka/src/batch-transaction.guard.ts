import { BatchTransaction, KafkaBatch } from './batch.types';

/** For handlers that only make sense in transactional mode: fails loudly if the server is not configured so. */
export function requireTransaction(batch: KafkaBatch): BatchTransaction {
  if (!batch.transaction) {
    throw new Error(
      `Batch ${batch.topic}[${batch.partition}] has no transaction: configure the server as transactional`,
    );
  }
  return batch.transaction;
}
