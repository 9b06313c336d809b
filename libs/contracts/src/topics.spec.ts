import {
  COMPACTED_TOPICS,
  LIFECYCLE_FEED_RETENTION,
  LIVE_STREAM_REFRESH_MS,
  METRICS_FEED_RETENTION,
} from './topics';

describe('the stream feeds retention', () => {
  // a broker deletes expired segments on a timer (log.retention.check.interval.ms, 5 min by default)
  const deletionCheckMs = 3_600_000;

  it("rewrites a live stream well inside the metrics feed's shortest retention", () => {
    expect(LIVE_STREAM_REFRESH_MS * 3).toBeLessThanOrEqual(METRICS_FEED_RETENTION.minRetentionMs);
    expect(METRICS_FEED_RETENTION.retentionMs).toBeGreaterThanOrEqual(METRICS_FEED_RETENTION.minRetentionMs);
  });

  it('deletes a lifecycle record before the metrics feed can delete a later record of the same stream', () => {
    // not compacted, so no merged segment keeps it: it goes at most its retention after the end of
    // its segment, while a metrics record never goes sooner than the metrics feed's retention
    expect(COMPACTED_TOPICS).not.toContain('streamLifecycle');
    const lifecycleGoneBy = LIFECYCLE_FEED_RETENTION.segmentMs + LIFECYCLE_FEED_RETENTION.retentionMs;
    expect(lifecycleGoneBy + deletionCheckMs).toBeLessThan(METRICS_FEED_RETENTION.minRetentionMs);
  });
});
