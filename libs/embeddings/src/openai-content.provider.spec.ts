import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { norm } from './embedding.math';
import { HashingContentEmbeddingProvider } from './hashing-content.provider';
import {
  EmbeddingServiceUnavailableError,
  OpenAiContentEmbeddingProvider,
  contentText,
} from './openai-content.provider';

/**
 * TEST SERVER: a real HTTP server on loopback implementing OpenAI's `POST /v1/embeddings`
 * (input: string | string[], model, dimensions; answers `{ data: [{ index, embedding }] }`),
 * computing the embeddings with feature hashing so answers are checkable. Not a production server.
 */
function startTestEmbeddingServer(): Promise<{
  server: Server;
  url: string;
  requests: Record<string, unknown>[];
}> {
  const requests: Record<string, unknown>[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      if (req.headers.authorization !== 'Bearer test-key') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        input: string | string[];
        dimensions?: number;
        model: string;
      };
      requests.push(body);
      if (body.model === 'broken') {
        res.writeHead(503).end();
        return;
      }
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      // answer one dimension more than asked (a longer native embedding) and in reverse order
      const hashing = new HashingContentEmbeddingProvider((body.dimensions ?? 64) + 1);
      const data = inputs
        .map((text, index) => ({
          object: 'embedding',
          index,
          embedding: Array.from(hashing.embedOne({ title: text, category: '', tags: [], language: '' })),
        }))
        .reverse();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data,
          model: body.model,
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }),
    ),
  );
}

const contents = [
  { title: 'Vintage watches', category: 'watches', tags: ['rolex'], language: 'en' },
  { title: 'Sneaker drops', category: 'sneakers', tags: [], language: 'fr' },
];

describe('OpenAiContentEmbeddingProvider (against a local test server)', () => {
  let test: Awaited<ReturnType<typeof startTestEmbeddingServer>>;
  beforeAll(async () => {
    test = await startTestEmbeddingServer();
  });
  afterAll(() => new Promise<void>((resolve) => test.server.close(() => resolve())));

  it('sends one batched request and maps answers back by index, truncated and normalised', async () => {
    const provider = new OpenAiContentEmbeddingProvider({
      baseUrl: test.url,
      model: 'm1',
      apiKey: 'test-key',
      dimension: 32,
    });
    const vectors = await provider.embed(contents);
    expect(test.requests.at(-1)).toMatchObject({
      model: 'm1',
      dimensions: 32,
      input: contents.map(contentText),
    });
    expect(vectors).toHaveLength(2);
    const expected = new HashingContentEmbeddingProvider(33).embedOne({
      title: contentText(contents[1]),
      category: '',
      tags: [],
      language: '',
    });
    const truncated = Array.from(expected.slice(0, 32));
    const scale = 1 / Math.hypot(...truncated);
    vectors[1].forEach((x, i) => expect(x).toBeCloseTo(truncated[i] * scale, 5));
    expect(norm(vectors[0])).toBeCloseTo(1, 5);
  });

  it('reports failures as an unavailable dependency', async () => {
    const bad = new OpenAiContentEmbeddingProvider({
      baseUrl: test.url,
      model: 'broken',
      apiKey: 'test-key',
      dimension: 8,
    });
    await expect(bad.embed(contents)).rejects.toBeInstanceOf(EmbeddingServiceUnavailableError);
    const unauthorised = new OpenAiContentEmbeddingProvider({ baseUrl: test.url, model: 'm1', dimension: 8 });
    await expect(unauthorised.embed(contents)).rejects.toThrow('401');
    const tooLong = new OpenAiContentEmbeddingProvider({
      baseUrl: test.url,
      model: 'm1',
      apiKey: 'test-key',
      dimension: 8,
    });
    await expect(tooLong.embed([])).resolves.toEqual([]);
  });
});
