/**
 * Watermark records on the compacted `nowcast.watermarks.v1` topic (1 partition), one key per
 * service and input partition: `<service>|<topic>|<partition>`. `eventTime` (epoch ms): every
 * event of that input partition with occurredAt <= eventTime has been applied AND its effects
 * flushed (Kafka, Redis, Qdrant). The recommender's asOf is the minimum over the partitions that
 * are not idle. `offset` is the next input offset after the flushed events.
 */
export interface WatermarkRecord {
  service: string;
  topic: string;
  partition: number;
  eventTime: number;
  offset: string;
  /** Wall clock of the publication, epoch ms (tells an idle partition from a stuck one). */
  publishedAt: number;
}

export function watermarkKey(service: string, topic: string, partition: number): string {
  return `${service}|${topic}|${partition}`;
}
