import { parsePrometheusText, sumSamples } from './prometheus-text';

const EXPOSITION = `# HELP nowcast_events_consumed_total Events handled from Kafka, by type.
# TYPE nowcast_events_consumed_total counter
nowcast_events_consumed_total{type="chat.message"} 120
nowcast_events_consumed_total{type="view.started"} 30

nowcast_events_deduplicated_total 4
http_request_duration_seconds_count{method="GET",route="/v1/users/:userId/feed",status_code="200"} 7
http_request_duration_seconds_count{method="GET",route="/v1/users/:userId/feed",status_code="429"} 2
http_request_duration_seconds_count{method="GET",route="/health/ready",status_code="200"} 99 1764150000000
odd{label="a \\"quoted\\" \\\\ value, with comma"} +Inf
`;

describe('Prometheus text', () => {
  it('sums every series of a metric', () => {
    expect(sumSamples(EXPOSITION, 'nowcast_events_consumed_total')).toBe(150);
    expect(sumSamples(EXPOSITION, 'nowcast_events_deduplicated_total')).toBe(4);
    expect(sumSamples(EXPOSITION, 'absent_total')).toBe(0);
  });

  it('sums only the series whose labels match', () => {
    expect(
      sumSamples(EXPOSITION, 'http_request_duration_seconds_count', { route: '/v1/users/:userId/feed' }),
    ).toBe(9);
    expect(
      sumSamples(EXPOSITION, 'http_request_duration_seconds_count', {
        route: '/v1/users/:userId/feed',
        status_code: '429',
      }),
    ).toBe(2);
  });

  it('parses escaped label values, timestamps and special values; skips comments', () => {
    const samples = parsePrometheusText(EXPOSITION);
    expect(samples).toHaveLength(7);
    expect(samples.find((s) => s.name === 'odd')).toEqual({
      name: 'odd',
      labels: { label: 'a "quoted" \\ value, with comma' },
      value: Infinity,
    });
    expect(samples.find((s) => s.labels.route === '/health/ready')?.value).toBe(99);
  });
});
