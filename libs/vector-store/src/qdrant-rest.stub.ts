// A STUB of Qdrant's REST API for contract tests: it records the exact requests the adapter
// sends and answers with canned responses in Qdrant's format. It is NOT Qdrant and proves nothing
// about Qdrant's behaviour; the real-Qdrant conformance run (QDRANT_URL) does that.
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/collections/c/points?wait=true&ordering=weak`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface CannedResponse {
  status: number;
  body: unknown;
  /** Hold the answer this long (ms), to trigger client timeouts. */
  delayMs?: number;
}

/** Qdrant's success envelope. */
export const ok = (result: unknown): CannedResponse => ({
  status: 200,
  body: { result, status: 'ok', time: 0.0001 },
});
/** Qdrant's error envelope. */
export const fail = (status: number, error: string): CannedResponse => ({
  status,
  body: { status: { error }, time: 0.0001 },
});

export class QdrantRestStub {
  readonly label = 'STUB Qdrant REST server (canned responses, not a real Qdrant)';
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, CannedResponse[]>();
  private server: Server | null = null;

  /** Queues responses for `METHOD path`; the last one repeats. */
  on(method: string, path: string, ...responses: CannedResponse[]): this {
    this.routes.set(`${method} ${path}`, responses);
    return this;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '';
        const method = req.method ?? '';
        this.requests.push({
          method,
          path,
          headers: req.headers,
          body: raw ? (JSON.parse(raw) as unknown) : undefined,
        });
        const queue = this.routes.get(`${method} ${path}`);
        // 418 (a 4xx, never retried) makes an unexpected request fail the test at once.
        const canned =
          (queue && queue.length > 1 ? queue.shift() : queue?.[0]) ??
          fail(418, `STUB: no route ${method} ${path}`);
        const send = (): void => {
          if (res.destroyed) return;
          res.writeHead(canned.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(canned.body));
        };
        if (canned.delayMs) setTimeout(send, canned.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    const { port } = server.address() as AddressInfo;
    console.log(`${this.label} listening on 127.0.0.1:${port}`);
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = null;
  }
}
