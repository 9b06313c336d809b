import { GroundTruth, LifetimeTotals } from './ground-truth';

export interface StreamMismatch {
  streamId: string;
  expected: LifetimeTotals & { live?: false };
  actual: unknown;
}

export interface SettleResult {
  /** Streams checked (every stream the produced events started). */
  streams: number;
  /** Ended streams among them (all must be live: false). */
  ended: number;
  mismatches: StreamMismatch[];
  /** From the call until everything matched (or the timeout), ms. */
  settleMs: number;
}

interface StreamView {
  live?: boolean;
  lifetime?: LifetimeTotals;
}

/** Concurrent GETs per pass: enough to read thousands of streams in a few seconds. */
const CONCURRENCY = 24;

/**
 * Reads every stream the produced events started from the outside (GET /v1/streams/{id} on the
 * recommender) until every lifetime total equals the ground truth and every ended stream is not
 * live, or `timeoutMs` passed; returns what still differs then.
 */
export async function waitUntilSettled(
  recommenderUrl: string,
  apiKeys: readonly string[],
  truth: GroundTruth,
  timeoutMs: number,
): Promise<SettleResult> {
  const started = Date.now();
  const ids = truth.started;
  let pending = ids;
  let mismatches: StreamMismatch[] = [];
  for (;;) {
    mismatches = await check(recommenderUrl, apiKeys, truth, pending);
    pending = mismatches.map((m) => m.streamId);
    if (pending.length === 0 || Date.now() - started > timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return {
    streams: ids.length,
    ended: ids.filter((id) => truth.isEnded(id)).length,
    mismatches,
    settleMs: Date.now() - started,
  };
}

async function check(
  url: string,
  apiKeys: readonly string[],
  truth: GroundTruth,
  ids: string[],
): Promise<StreamMismatch[]> {
  const out: StreamMismatch[] = [];
  await forEachConcurrently(ids, async (streamId, i) => {
    const actual = await getStream(url, apiKeys[i % apiKeys.length], streamId);
    const expected = truth.totals(streamId);
    const ended = truth.isEnded(streamId);
    const view = actual as StreamView | null;
    const ok = view !== null && sameTotals(view.lifetime, expected) && (!ended || view.live === false);
    if (!ok) out.push({ streamId, expected: ended ? { ...expected, live: false } : expected, actual });
  });
  return out;
}

/** The stream's JSON, or null when unknown (404) or not answered; waits out a 429. */
async function getStream(url: string, apiKey: string, streamId: string): Promise<unknown> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const response = await fetch(`${url}/v1/streams/${encodeURIComponent(streamId)}`, {
        headers: { 'x-api-key': apiKey },
        signal: AbortSignal.timeout(10_000),
      });
      if (response.ok) return await response.json();
      await response.arrayBuffer();
      if (response.status !== 429) return null;
      const retryAfterSec = Number(response.headers.get('retry-after'));
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, (retryAfterSec || 0.25) * 1000)));
    } catch {
      return null;
    }
  }
  return null;
}

function sameTotals(actual: LifetimeTotals | undefined, expected: LifetimeTotals): boolean {
  if (!actual) return false;
  if (
    actual.chats !== expected.chats ||
    actual.bids !== expected.bids ||
    actual.purchases !== expected.purchases ||
    actual.giveawayEntries !== expected.giveawayEntries ||
    actual.uniqueViewers !== expected.uniqueViewers
  )
    return false;
  const currencies = new Set([
    ...Object.keys(actual.gmvByCurrency ?? {}),
    ...Object.keys(expected.gmvByCurrency),
  ]);
  for (const c of currencies)
    if ((actual.gmvByCurrency?.[c] ?? 0) !== (expected.gmvByCurrency[c] ?? 0)) return false;
  return true;
}

async function forEachConcurrently<T>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}
