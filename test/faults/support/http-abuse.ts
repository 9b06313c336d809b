import { connect } from 'node:net';

export interface AbuseTargets {
  recommenderUrl: string;
  ingressUrl: string;
  /** Keys with the ingest and read scopes, rotated (rate limits are per key). */
  keys: readonly string[];
  /** A key with the read scope only (the ingress must answer 403). */
  readOnlyKey: string;
  /** A key used only to go over the rate limits. */
  abuserKey: string;
  /** Requests sent with the abuser key to each service (more than its limit). */
  overRate: number;
}

interface AbusiveRequest {
  target: 'recommender' | 'ingress';
  kind: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface AbuseReport {
  requests: number;
  /** Status -> responses, per target and kind of abuse. */
  statuses: Record<string, Record<string, number>>;
  /** Responses with status >= 500 (must be 0). */
  serverErrors: { kind: string; status: number }[];
  /** Requests that got no HTTP answer at all (connection reset / timeout), after the one retry below. */
  unanswered: { kind: string; error: string }[];
  /**
   * GETs sent again once because the pooled keep-alive connection they went out on was closed under
   * them (a server may close an idle or just-used connection at any moment; RFC 9112 9.3.1 lets a
   * client retry an idempotent request then, as browsers and undici's own retry do).
   */
  retriedOnClosedConnection: number;
  /** Raw TCP connections that sent garbage, and what came back. */
  garbageConnections: number;
  garbage5xx: number;
}

const LONG = 'x'.repeat(20_000);

/** The abusive requests of one round: malformed, oversized, unauthenticated, wrong scope. */
function abusiveRequests(t: AbuseTargets, round: number): AbusiveRequest[] {
  const key = t.keys[round % t.keys.length];
  const read = { 'x-api-key': key };
  const ingest = { 'x-api-key': key, 'content-type': 'application/json' };
  const json = { 'content-type': 'application/json' };
  return [
    { target: 'recommender', kind: 'no-key', path: '/v1/streams/trending' },
    {
      target: 'recommender',
      kind: 'bad-key',
      path: '/v1/streams/trending',
      headers: { 'x-api-key': `nope-${round}` },
    },
    { target: 'recommender', kind: 'bad-limit', path: '/v1/streams/trending?limit=-7', headers: read },
    {
      target: 'recommender',
      kind: 'nan-limit',
      path: '/v1/streams/trending?limit=abc&limit=1e99',
      headers: read,
    },
    {
      target: 'recommender',
      kind: 'bad-id',
      path: `/v1/streams/${encodeURIComponent('a b"<>{}')}`,
      headers: read,
    },
    { target: 'recommender', kind: 'long-id', path: `/v1/streams/${LONG.slice(0, 4_000)}`, headers: read },
    { target: 'recommender', kind: 'unknown-id', path: `/v1/streams/no-such-stream-${round}`, headers: read },
    {
      target: 'recommender',
      kind: 'bad-feed',
      path: '/v1/users/%00%ff/feed?limit=0&cursor=%%%',
      headers: read,
    },
    { target: 'recommender', kind: 'long-query', path: `/v1/streams/search?q=${LONG}`, headers: read },
    {
      target: 'recommender',
      kind: 'bad-search',
      path: '/v1/streams/search?language=12345678901',
      headers: read,
    },
    {
      target: 'recommender',
      kind: 'post-get-route',
      path: '/v1/streams/trending',
      method: 'POST',
      headers: json,
      body: '{"a":',
    },
    {
      target: 'recommender',
      kind: 'huge-header',
      path: '/v1/streams/trending',
      headers: { ...read, 'x-junk': LONG },
    },
    { target: 'ingress', kind: 'no-key', path: '/v1/events', method: 'POST', headers: json, body: '[]' },
    {
      target: 'ingress',
      kind: 'read-scope',
      path: '/v1/events',
      method: 'POST',
      headers: { ...json, 'x-api-key': t.readOnlyKey },
      body: '[]',
    },
    {
      target: 'ingress',
      kind: 'not-json',
      path: '/v1/events',
      method: 'POST',
      headers: ingest,
      body: '{"eventId": "x",',
    },
    {
      target: 'ingress',
      kind: 'json-scalar',
      path: '/v1/events',
      method: 'POST',
      headers: ingest,
      body: '42',
    },
    {
      target: 'ingress',
      kind: 'wrong-schema',
      path: '/v1/events',
      method: 'POST',
      headers: ingest,
      body: JSON.stringify([
        { eventId: `bad-${round}`, type: 'chat.message', schemaVersion: 1, occurredAt: Date.now(), data: {} },
      ]),
    },
    {
      target: 'ingress',
      kind: 'unknown-type',
      path: '/v1/events',
      method: 'POST',
      headers: ingest,
      body: JSON.stringify({
        eventId: `u-${round}`,
        type: 'nope',
        schemaVersion: 1,
        occurredAt: Date.now(),
        data: {},
      }),
    },
    {
      target: 'ingress',
      kind: 'system-type',
      path: '/v1/events',
      method: 'POST',
      headers: ingest,
      body: JSON.stringify({
        eventId: `s-${round}`,
        type: 'stream.expired',
        schemaVersion: 1,
        occurredAt: Date.now(),
        data: { streamId: 'x' },
      }),
    },
    {
      target: 'ingress',
      kind: 'too-many',
      path: '/v1/events',
      method: 'POST',
      headers: ingest,
      body: JSON.stringify(new Array(1_001).fill({})),
    },
    {
      target: 'ingress',
      kind: 'oversized',
      path: '/v1/events',
      method: 'POST',
      headers: ingest,
      body: `["${'y'.repeat(1_100_000)}"]`,
    },
    {
      target: 'ingress',
      kind: 'wrong-type',
      path: '/v1/events',
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'text/plain' },
      body: 'hello',
    },
    {
      target: 'ingress',
      kind: 'deep-json',
      path: '/v1/events',
      method: 'POST',
      headers: ingest,
      body: '['.repeat(5_000) + ']'.repeat(5_000),
    },
    { target: 'ingress', kind: 'get-post-route', path: '/v1/events', headers: ingest },
  ];
}

/** Requests over the rate limit of a key (each service answers 429 once its bucket is empty). */
function overRate(t: AbuseTargets): AbusiveRequest[] {
  return [
    {
      target: 'recommender',
      kind: 'over-rate',
      path: '/v1/streams/trending',
      headers: { 'x-api-key': t.abuserKey },
    },
    {
      target: 'ingress',
      kind: 'over-rate',
      path: '/v1/events',
      method: 'POST',
      headers: { 'x-api-key': t.abuserKey, 'content-type': 'application/json' },
      body: '{}',
    },
  ];
}

/**
 * Fires `rounds` rounds of abuse (24 requests each), the over-rate bursts plus garbage over raw TCP at both
 * services, `concurrency` at a time, and records every status. `legit` runs between rounds: the
 * caller's legitimate requests, which must still be answered.
 */
export async function abuse(
  t: AbuseTargets,
  rounds: number,
  concurrency: number,
  legit: (round: number) => Promise<void>,
): Promise<AbuseReport> {
  const report: AbuseReport = {
    requests: 0,
    statuses: {},
    serverErrors: [],
    unanswered: [],
    retriedOnClosedConnection: 0,
    garbageConnections: 0,
    garbage5xx: 0,
  };
  const queue: AbusiveRequest[] = [];
  for (let round = 0; round < rounds; round++) queue.push(...abusiveRequests(t, round));
  // the over-rate requests spread evenly through the rest
  const bursts: AbusiveRequest[] = [];
  for (let i = 0; i < t.overRate; i++) bursts.push(...overRate(t));
  const step = queue.length / bursts.length;
  bursts.forEach((request, i) => queue.splice(Math.floor(i * step) + i, 0, request));
  let next = 0;
  let legitRound = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const i = next++;
      await send(t, queue[i], report);
      if (i % 50 === 0) await legit(legitRound++);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  for (const url of [t.recommenderUrl, t.ingressUrl]) {
    for (let i = 0; i < Math.max(10, rounds); i++) {
      report.garbageConnections++;
      const answer = await garbage(url, i);
      if (/^HTTP\/1\.[01] 5\d\d/.test(answer)) report.garbage5xx++;
    }
  }
  return report;
}

async function send(t: AbuseTargets, r: AbusiveRequest, report: AbuseReport): Promise<void> {
  const base = r.target === 'recommender' ? t.recommenderUrl : t.ingressUrl;
  report.requests++;
  const label = `${r.target} ${r.kind}`;
  const request = (): Promise<Response> =>
    fetch(base + r.path, {
      method: r.method ?? 'GET',
      headers: r.headers,
      body: r.body,
      signal: AbortSignal.timeout(15_000),
    });
  try {
    const method = r.method ?? 'GET';
    const response = await request().catch((error: unknown) => {
      if (method !== 'GET' || !closedUnder(error)) throw error;
      report.retriedOnClosedConnection++;
      return request();
    });
    await response.arrayBuffer();
    const byStatus = (report.statuses[label] ??= {});
    byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
    if (response.status >= 500) report.serverErrors.push({ kind: label, status: response.status });
  } catch (error) {
    // a server may close the connection on an oversized request before reading it all
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const message = [(error as Error).message, cause?.code, cause?.message].filter(Boolean).join(': ');
    const byStatus = (report.statuses[label] ??= {});
    byStatus.closed = (byStatus.closed ?? 0) + 1;
    if (r.kind !== 'oversized' && r.kind !== 'huge-header')
      report.unanswered.push({ kind: label, error: message });
  }
}

/** fetch failed because the connection closed before an answer (not a timeout, not a refusal). */
function closedUnder(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return (
    cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET' || cause?.message === 'other side closed'
  );
}

const GARBAGE = [
  'GARBAGE\r\n\r\n',
  'GET / HTTP/9.9\r\n\r\n',
  'POST /v1/events HTTP/1.1\r\nContent-Length: -5\r\n\r\n',
  'GET /v1/streams/trending HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  '\x00\x01\x02\xff\xfe binary',
];

/** Writes non-HTTP bytes over a raw connection; resolves with whatever came back (maybe nothing). */
function garbage(url: string, i: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(Number(port), hostname, () => socket.end(GARBAGE[i % GARBAGE.length]));
    socket.setTimeout(5_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
  });
}
