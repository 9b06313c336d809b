import { Registry } from 'prom-client';
import { PipelineMetrics } from './pipeline.metrics';

describe('PipelineMetrics', () => {
  it('exposes every pipeline family with its labels', async () => {
    const registry = new Registry();
    const metrics = new PipelineMetrics(registry);
    metrics.consumed.inc({ type: 'view.started' }, 3);
    metrics.deadLettered.inc({ type: 'unknown', reason: 'InvalidMessageError' });
    metrics.observeEventAge('view.started', 1_000, 1_250);
    metrics.setLag('raw', 2, 17);
    metrics.startBatch('raw')();
    const text = await registry.metrics();
    expect(text).toContain('nowcast_events_consumed_total{type="view.started"} 3');
    expect(text).toContain(
      'nowcast_events_dead_lettered_total{type="unknown",reason="InvalidMessageError"} 1',
    );
    expect(text).toContain('nowcast_event_age_seconds_sum{type="view.started"} 0.25');
    expect(text).toContain('nowcast_consumer_lag{topic="raw",partition="2"} 17');
    expect(text).toContain('nowcast_batch_processing_seconds_count{topic="raw"} 1');
    expect(text).toContain('nowcast_events_produced_total');
    expect(text).toContain('nowcast_events_deduplicated_total');
  });

  it('clamps negative ages from clock skew to zero', async () => {
    const registry = new Registry();
    const metrics = new PipelineMetrics(registry);
    metrics.observeEventAge('x', 2_000, 1_000);
    expect(await registry.metrics()).toContain('nowcast_event_age_seconds_sum{type="x"} 0');
  });
});
