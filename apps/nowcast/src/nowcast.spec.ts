import { MarketplaceSimulator } from '@app/simulator';
import { RunningNowcast, startNowcast } from './nowcast.runtime';

interface FeedPage {
  items: { streamId: string; sellerId: string; reasons: Record<string, number> }[];
  degraded: boolean;
}

/** Signals that only a user's own state (aggregator + writer) can give. */
const PERSONAL = ['similarity', 'repeat', 'follow', 'category'];

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as T };
}

/** The one-process app (npm start) booted in this process: no Kafka, no Redis, a free port. */
describe('nowcast one-process app', () => {
  let nowcast: RunningNowcast;
  let personalised = '';

  beforeAll(async () => {
    nowcast = await startNowcast(
      { NODE_ENV: 'test', LOG_LEVEL: 'error' },
      { port: 0, host: '127.0.0.1', ratePerSec: 200, feedRequestsPerSec: 0, seed: 7 },
    );
  }, 30_000);

  afterAll(async () => {
    await nowcast?.close();
  });

  it('serves, within seconds, a non-empty feed for a simulated user whose items are all live', async () => {
    const deadline = Date.now() + 20_000;
    let page: FeedPage = { items: [], degraded: false };
    let user = '';
    while (page.items.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      user = nowcast.sampleUser();
      const answer = await getJson<FeedPage>(`${nowcast.url}/v1/users/${user}/feed?limit=20`);
      expect(answer.status).toBe(200);
      page = answer.body;
    }
    expect(page.items.length).toBeGreaterThan(0);
    const liveSellers = new Set(nowcast.simulator.world.sellers.filter((s) => s.live).map((s) => s.id));
    for (const item of page.items) {
      // the simulator's ground truth: the seller is on air now
      expect(liveSellers.has(item.sellerId)).toBe(true);
      // and the recommender's own stream endpoint agrees
      const stream = await getJson<{ live: boolean; sellerId: string }>(
        `${nowcast.url}/v1/streams/${encodeURIComponent(item.streamId)}`,
      );
      expect(stream.status).toBe(200);
      expect(stream.body).toMatchObject({ live: true, sellerId: item.sellerId });
    }
  }, 30_000);

  it('personalises feeds without Redis: user state from the aggregator and writer in memory', async () => {
    const deadline = Date.now() + 20_000;
    let page: FeedPage | null = null;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const user = nowcast.sampleUser();
      const answer = await getJson<FeedPage>(`${nowcast.url}/v1/users/${user}/feed?limit=20`);
      page = answer.body;
      if (page.items.some((item) => PERSONAL.some((signal) => (item.reasons[signal] ?? 0) > 0))) {
        personalised = user;
        break;
      }
    }
    expect(page?.degraded).toBe(false);
    expect(personalised).not.toBe('');
  }, 30_000);

  it('erases a user without Redis and answers once it is reflected', async () => {
    expect(personalised).not.toBe('');
    const response = await fetch(`${nowcast.url}/v1/users/${personalised}`, {
      method: 'DELETE',
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ userId: personalised, reflected: true });
  }, 15_000);

  it('is ready and accepts events on POST /v1/events', async () => {
    const ready = await fetch(`${nowcast.url}/health/ready`);
    expect(ready.status).toBe(200);
    // a valid event from another simulated world (its own ids)
    const event = new MarketplaceSimulator({ seed: 99, startTimeMs: Date.now() }).next();
    const before = nowcast.status().events;
    const response = await fetch(`${nowcast.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    // accepted = appended to the in-process raw topic
    expect(nowcast.status().events).toBeGreaterThan(before);
  });
});
