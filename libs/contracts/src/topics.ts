/**
 * Default topic names, one per pipeline stage (every event type of that stage in it). All of them
 * can be overridden through each app's config; a breaking change of a stage's records gets a new
 * topic version (`.v2`) published alongside this one until every consumer has moved.
 */
export const DEFAULT_TOPICS = {
  raw: 'nowcast.events.raw.v1',
  enriched: 'nowcast.events.enriched.v1',
  deadLetter: 'nowcast.events.dlq.v1',
  metricsStreams: 'nowcast.metrics.streams.v1',
  streamLifecycle: 'nowcast.streams.lifecycle.v1',
  embeddingsStreams: 'nowcast.embeddings.streams.v1',
  embeddingsUsers: 'nowcast.embeddings.users.v1',
  stateFollows: 'nowcast.state.follows.v1',
  watermarks: 'nowcast.watermarks.v1',
} as const;

export type TopicRole = keyof typeof DEFAULT_TOPICS;

/** Default partition counts: 6 for every stage, 1 for dead letters (ordered, low volume). */
export const DEFAULT_PARTITIONS: Record<TopicRole, number> = {
  raw: 6,
  enriched: 6,
  deadLetter: 1,
  metricsStreams: 6,
  streamLifecycle: 6,
  embeddingsStreams: 6,
  embeddingsUsers: 6,
  stateFollows: 6,
  watermarks: 1,
};

/** Change feeds and state topics are compacted: the last record per key is the state. */
export const COMPACTED_TOPICS: readonly TopicRole[] = [
  'metricsStreams',
  'streamLifecycle',
  'embeddingsStreams',
  'embeddingsUsers',
  'stateFollows',
  'watermarks',
];
