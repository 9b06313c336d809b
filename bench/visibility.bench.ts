import { randomUUID } from 'node:crypto';
import { quantile, round } from './suite/percentiles';
import { startMeshTarget } from './suite/mesh.target';
import { parseServiceEnv } from './suite/suite-options';
import { arg } from './cli-args';
import { probeEvent } from './probe-event';

/**
 * Idle visibility, with nothing else watching: the mesh on its own topics, one follower, and per
 * probe a `stream.started` produced to the raw topic and ONE client polling back to back until the
 * recommender shows it - `--via api` (GET /v1/streams/{id} says live: the change feeds reached the
 * cache) or `--via feed` (the follower's feed lists it, as the suite's dataLatency). The hop tracer
 * (hops.bench.ts) says where the time goes, but its seven consumers and three pollers share the
 * machine with the mesh and add ms of their own at idle; this measures the path alone.
 *
 * `npm run bench -- visibility --via feed --probes 40 --runtime dist --redis redis://127.0.0.1:6390 [--env K=V,...]`
 */
const TIMEOUT_MS = 5_000;
const WARMUP = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const via = arg(args, 'via', 'feed');
  if (via !== 'api' && via !== 'feed') throw new Error('--via must be api or feed');
  const probes = Number(arg(args, 'probes', '40'));
  const target = await startMeshTarget({
    brokers: arg(args, 'brokers', '127.0.0.1:9092').split(','),
    redisUrl: arg(args, 'redis', 'redis://127.0.0.1:6379'),
    runtime: arg(args, 'runtime', 'auto') as 'auto' | 'dist' | 'source',
    env: parseServiceEnv(arg(args, 'env', '')),
  });
  const id = randomUUID().slice(0, 8);
  const user = `vu-${id}`;
  const seller = `vs-${id}`;
  const category = `visibility-${id}`;
  const shown = async (streamId: string): Promise<boolean> => {
    if (via === 'api') {
      const response = await fetch(`${target.recommenderUrl}/v1/streams/${streamId}`);
      return response.ok && ((await response.json()) as { live?: boolean }).live === true;
    }
    const response = await fetch(
      `${target.recommenderUrl}/v1/users/${user}/feed?limit=20&category=${category}`,
    );
    const body = (await response.json()) as { items?: { streamId: string }[] };
    return body.items?.some((item) => item.streamId === streamId) ?? false;
  };
  const visibleMs: number[] = [];
  const requestMs: number[] = [];
  let missing = 0;
  try {
    await target.produce(probeEvent('seller.followed', { userId: user, sellerId: seller }));
    await sleep(3_000);
    for (let i = 0; i < probes + WARMUP; i++) {
      const streamId = `v-${id}-${i}`;
      const t0 = performance.now();
      await target.produce(
        probeEvent('stream.started', {
          streamId,
          sellerId: seller,
          title: streamId,
          category,
          tags: [],
          language: 'en',
        }),
      );
      let seen = false;
      while (!seen && performance.now() - t0 < TIMEOUT_MS) {
        const sent = performance.now();
        seen = await shown(streamId).catch(() => false);
        requestMs.push(performance.now() - sent);
      }
      if (i >= WARMUP) {
        if (seen) visibleMs.push(performance.now() - t0);
        else missing++;
      }
      await target.produce(probeEvent('stream.ended', { streamId }));
      await sleep(50 + Math.random() * 50);
    }
  } finally {
    await target.stop();
  }
  const summary = (values: number[]) => ({
    p50: round(quantile(values, 0.5), 1),
    p90: round(quantile(values, 0.9), 1),
    p99: round(quantile(values, 0.99), 1),
  });
  return { via, probes, visibleMs: { ...summary(visibleMs), missing }, requestMs: summary(requestMs) };
}
