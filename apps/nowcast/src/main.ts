import { logBootFailure } from '@app/observability';
import { NOWCAST_SERVICE_NAME } from './nowcast-http.module';
import { startNowcast } from './nowcast.runtime';
import { StatusLine } from './status-line';

// The one place that reads process.env. Development defaults: open API (no API_KEYS), memory state.
const DEFAULT_PORT = 3000;
const positiveNumber = (raw: string | undefined, fallback: number): number => {
  const value = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(value) && value >= 0 ? value : fallback;
};

async function bootstrap(): Promise<void> {
  // an ended show's aggregates for an hour, not a week: the demo ends ~150 shows an hour, and
  // nothing it shows reads an ended one's aggregates after its last late events
  const env = { NODE_ENV: 'development', LOG_LEVEL: 'warn', ENDED_STREAM_TTL_SEC: '3600', ...process.env };
  const nowcast = await startNowcast(env, {
    port: positiveNumber(process.env.PORT, DEFAULT_PORT),
    host: process.env.HOST ?? '0.0.0.0',
    ratePerSec: positiveNumber(process.env.NOWCAST_EVENTS_PER_SEC, 200),
    feedRequestsPerSec: positiveNumber(process.env.NOWCAST_FEED_REQUESTS_PER_SEC, 5),
    seed: positiveNumber(process.env.NOWCAST_SEED, 42),
  });
  const { url } = nowcast;
  // give the simulator a moment to put viewers somewhere, so the sample user has a taste
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const user = nowcast.sampleUser();
  const storage = process.env.REDIS_URL ? `Redis at ${process.env.REDIS_URL}` : 'in memory: gone on restart';
  process.stdout.write(
    [
      '',
      `Nowcast is running in one process (simulator, enricher, aggregator, embedding writer, recommender).`,
      `State: ${storage}. API: ${process.env.API_KEYS ? 'API keys required' : 'open (development, no API keys)'}.`,
      '',
      `  API docs        ${url}/docs`,
      `  a user's feed   curl '${url}/v1/users/${user}/feed?limit=10'`,
      `  trending        curl '${url}/v1/streams/trending?limit=10'`,
      `  send an event   curl -X POST ${url}/v1/events -H 'content-type: application/json' -d @event.json`,
      `  health, metrics ${url}/health/ready  ${url}/metrics`,
      '',
      '',
    ].join('\n'),
  );
  const status = new StatusLine(() => nowcast.status());
  const timer = setInterval(() => status.tick(), process.stdout.isTTY ? 1_000 : 10_000);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    process.stdout.write('\nstopping...\n');
    nowcast.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logBootFailure(NOWCAST_SERVICE_NAME, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

bootstrap().catch((error: unknown) => {
  logBootFailure(NOWCAST_SERVICE_NAME, error);
  process.exit(1);
});
