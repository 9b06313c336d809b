import { HttpAdapterHost } from '@nestjs/core';
import { Registry } from 'prom-client';
import { HttpMetrics, UNMATCHED_ROUTE, routeLabel } from './http.metrics';

describe('routeLabel', () => {
  it('keeps the route template', () => {
    expect(routeLabel('/v1/streams/:streamId')).toBe('/v1/streams/:streamId');
  });

  it('folds requests that matched no route into one label', () => {
    expect(routeLabel(undefined)).toBe(UNMATCHED_ROUTE);
    expect(routeLabel('')).toBe(UNMATCHED_ROUTE);
  });
});

describe('HttpMetrics', () => {
  it('labels durations by method, template and status', async () => {
    const registry = new Registry();
    const metrics = new HttpMetrics(registry, new HttpAdapterHost());
    metrics.observe('GET', '/v1/feeds/:userId', 200, 0.004);
    metrics.observe('GET', '/v1/feeds/:userId', 200, 0.006);
    metrics.observe('GET', undefined, 404, 0.001);
    const text = await registry.metrics();
    expect(text).toContain(
      'http_request_duration_seconds_count{method="GET",route="/v1/feeds/:userId",status_code="200"} 2',
    );
    expect(text).toContain(
      `http_request_duration_seconds_count{method="GET",route="${UNMATCHED_ROUTE}",status_code="404"} 1`,
    );
  });
});
