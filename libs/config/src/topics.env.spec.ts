import { LIFECYCLE_FEED_RETENTION, METRICS_FEED_RETENTION } from '@app/contracts';
import { ConfigValidationError } from './config-validation.error';
import { loadConfig } from './env-schema';
import { pipelineTopicSpec, pipelineTopicSpecs, topicsEnv } from './topics.env';

describe('pipelineTopicSpecs', () => {
  const topicsOf = (env: Record<string, string> = {}) => loadConfig({ topics: topicsEnv() }, env).topics;

  it('creates the metrics feed compacted and deleting old segments, the lifecycle feed keeping its last day', () => {
    const topics = topicsOf();
    expect(pipelineTopicSpec(topics, 'metricsStreams')).toEqual({
      name: 'nowcast.metrics.streams.v1',
      partitions: 6,
      compacted: true,
      configs: {
        'cleanup.policy': 'compact,delete',
        'retention.ms': String(7 * 24 * 3600_000),
        'segment.ms': String(METRICS_FEED_RETENTION.segmentMs),
        'segment.bytes': String(64 * 1024 * 1024),
      },
    });
    expect(pipelineTopicSpec(topics, 'streamLifecycle')).toMatchObject({ compacted: false });
    expect(pipelineTopicSpec(topics, 'streamLifecycle').configs).toEqual({
      'cleanup.policy': 'delete',
      'retention.ms': String(LIFECYCLE_FEED_RETENTION.retentionMs),
      'segment.ms': String(LIFECYCLE_FEED_RETENTION.segmentMs),
      'max.message.bytes': String(8 * 1024 * 1024),
    });
  });

  it("takes the metrics feed's retention in hours, 0 keeping it forever (compaction only)", () => {
    const longer = topicsOf({ TOPIC_METRICS_STREAMS_RETENTION_HOURS: '720' });
    expect(pipelineTopicSpec(longer, 'metricsStreams').configs?.['retention.ms']).toBe(
      String(30 * 24 * 3600_000),
    );
    const forever = topicsOf({ TOPIC_METRICS_STREAMS_RETENTION_HOURS: '0' });
    expect(forever.metricsRetentionMs).toBeNull();
    expect(pipelineTopicSpec(forever, 'metricsStreams')).toEqual({
      name: 'nowcast.metrics.streams.v1',
      partitions: 6,
      compacted: true,
    });
    // the lifecycle feed forgets whatever the metrics feed keeps
    expect(pipelineTopicSpec(forever, 'streamLifecycle').configs?.['retention.ms']).toBe(
      String(LIFECYCLE_FEED_RETENTION.retentionMs),
    );
  });

  it('refuses a metrics feed retention shorter than the lifecycle feed needs', () => {
    expect(() => topicsOf({ TOPIC_METRICS_STREAMS_RETENTION_HOURS: '24' })).toThrow(ConfigValidationError);
    expect(() => topicsOf({ TOPIC_METRICS_STREAMS_RETENTION_HOURS: '24' })).toThrow(
      /TOPIC_METRICS_STREAMS_RETENTION_HOURS must be 0 \(forever\) or at least 72 hours/,
    );
    expect(() => topicsOf({ TOPIC_METRICS_STREAMS_RETENTION_HOURS: 'week' })).toThrow(ConfigValidationError);
  });

  it('keeps state topics and the other feeds compacted only, and event topics for 7 days', () => {
    const byName = new Map(pipelineTopicSpecs(topicsOf()).map((spec) => [spec.name, spec]));
    for (const name of [
      'nowcast.embeddings.streams.v1',
      'nowcast.state.follows.v1',
      'nowcast.watermarks.v1',
    ]) {
      expect(byName.get(name)).toMatchObject({ compacted: true });
      expect(byName.get(name)?.configs?.['cleanup.policy']).toBeUndefined();
    }
    expect(byName.get('nowcast.events.raw.v1')).toMatchObject({
      compacted: false,
      configs: { 'retention.ms': String(7 * 24 * 3600_000) },
    });
  });
});
