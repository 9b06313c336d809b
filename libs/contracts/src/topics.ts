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
  streamLifecycleFast: 'nowcast.streams.lifecycle-fast.v1',
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
  streamLifecycleFast: 6,
  embeddingsStreams: 6,
  embeddingsUsers: 6,
  stateFollows: 6,
  watermarks: 1,
};

/**
 * Change feeds and state topics are compacted: the last record per key is the state. Not the
 * lifecycle feed: it keeps its last day whole (LIFECYCLE_FEED_RETENTION).
 */
export const COMPACTED_TOPICS: readonly TopicRole[] = [
  'metricsStreams',
  'embeddingsStreams',
  'embeddingsUsers',
  'stateFollows',
  'watermarks',
];

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

/** How a stream feed forgets: records older than `retentionMs` go, a segment at a time. */
export interface StreamFeedRetention {
  retentionMs: number;
  /** A segment is closed (and so can be deleted) after this long. */
  segmentMs: number;
}

/*
 * The stream feeds a reader replays from the start (the recommender at boot) must not hold every
 * stream there ever was (the embeddings feed does not: its writer tombstones ended streams).
 * - The lifecycle feed keeps one day and is not compacted: a start or an end matters only until
 *   the metrics feed has told the same, seconds later. Deleted by age alone, a record is gone at
 *   most its retention plus a segment after it was written.
 * - The metrics feed is compacted and also deletes segments older than its retention. The log
 *   cleaner merges cleaned segments up to segment.bytes, and a merged segment is as young as its
 *   newest record, so ended streams' records stay until a segment's worth of them has piled up
 *   (64 MiB, ~80,000 streams of ~800 bytes) and then age out: never sooner than the retention,
 *   and bounded.
 * A replay's live set stays right because:
 * - the aggregator writes a live stream's metrics record again at least every
 *   LIVE_STREAM_REFRESH_MS (it touches every live stream at least once a lease), far inside the
 *   metrics feed's retention: only ended or expired streams age out of it;
 * - the lifecycle feed forgets first, so a replay never finds a start without the end that
 *   followed it (an expiry is only in the metrics feed).
 */

/** The lifecycle feed: the last day of starts and ends. */
export const LIFECYCLE_FEED_RETENTION: StreamFeedRetention = { retentionMs: DAY_MS, segmentMs: 6 * HOUR_MS };

/**
 * The lifecycle fast lane: the same starts and ends, written by the enricher straight from the raw
 * topic (no dedupe, no transaction, ends without their run's start), so the feed hears of them
 * before the enricher's transaction round. Read only from its end (never replayed: the lifecycle
 * feed above is the record), so an hour is plenty.
 */
export const LIFECYCLE_FAST_LANE_RETENTION: StreamFeedRetention = {
  retentionMs: HOUR_MS,
  segmentMs: 10 * 60_000,
};

/**
 * The metrics feed: compacted, and records older than 7 days deleted by default
 * (TOPIC_METRICS_STREAMS_RETENTION_HOURS, at least `minRetentionMs`, or forever).
 */
export const METRICS_FEED_RETENTION: StreamFeedRetention & { segmentBytes: number; minRetentionMs: number } =
  {
    retentionMs: 7 * DAY_MS,
    segmentMs: DAY_MS,
    segmentBytes: 64 * 1024 * 1024,
    minRetentionMs: 3 * DAY_MS,
  };

/** The longest a live stream goes without a metrics record of its own, ms. */
export const LIVE_STREAM_REFRESH_MS = DAY_MS;
