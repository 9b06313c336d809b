/** The topics the aggregator reads and writes (names from TOPIC_* config). */
export interface AggregatorTopics {
  enriched: string;
  raw: string;
  deadLetter: string;
  metricsStreams: string;
  stateFollows: string;
  watermarks: string;
}
