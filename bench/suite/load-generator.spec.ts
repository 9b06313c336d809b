import { NowcastEvent } from '@app/contracts';
import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { generateLoad, startLoad } from './load-generator';

/** An ingress stand-in that keeps every event POSTed to it and answers 202, as the real one does. */
async function recordingIngress(): Promise<{ url: string; events: NowcastEvent[]; server: Server }> {
  const events: NowcastEvent[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      events.push(...(JSON.parse(body) as NowcastEvent[]));
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, events, server };
}

const streamOf = (e: NowcastEvent): string | undefined =>
  'streamId' in e.data ? e.data.streamId : undefined;

describe('load generator', () => {
  it('ends every show its window left live, after the window, and prefixes the world ids', async () => {
    const ingress = await recordingIngress();
    try {
      const report = await generateLoad(
        { sink: { kind: 'http', url: ingress.url }, rate: 3_000, durationSec: 1.5, seed: 3, idPrefix: 't2.' },
        () => false,
        () => undefined,
      );
      const { events } = ingress;
      expect(report.rejected).toBe(0);
      expect(report.written + report.closedShows).toBe(events.length);
      expect(report.closedShows).toBeGreaterThan(100);

      const open = new Set<string>();
      for (const e of events)
        if (e.type === 'stream.started') open.add(e.data.streamId);
        else if (e.type === 'stream.ended' || e.type === 'stream.removed') open.delete(e.data.streamId);
      expect([...open]).toEqual([]);

      const closing = events.slice(report.written);
      expect(closing.every((e) => e.type === 'stream.ended')).toBe(true);
      const window = events.slice(0, report.written);
      const lastOfWindow = Math.max(...window.map((e) => e.occurredAt));
      expect(Math.min(...closing.map((e) => e.occurredAt))).toBeGreaterThanOrEqual(lastOfWindow);

      const ids = events.flatMap((e) => {
        const d = e.data as { userId?: string; sellerId?: string };
        return [d.userId, d.sellerId, streamOf(e)].filter((id): id is string => id !== undefined);
      });
      expect(ids.length).toBeGreaterThan(events.length);
      expect(ids.filter((id) => !id.startsWith('t2.'))).toEqual([]);
    } finally {
      ingress.server.close();
    }
  }, 30_000);

  it('runs a rate of 0 as a window without load: started at once, done after the window, nothing written', async () => {
    const startedAt = Date.now();
    const load = startLoad({
      sink: { kind: 'http', url: 'http://127.0.0.1:9' },
      rate: 0,
      durationSec: 0.3,
      seed: 1,
    });
    await load.started;
    const report = await load.done;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(report).toMatchObject({ written: 0, rejected: 0, closedShows: 0 });
    expect(report.wallMs).toBeGreaterThanOrEqual(290);

    const stopped = startLoad({
      sink: { kind: 'http', url: 'http://127.0.0.1:9' },
      rate: 0,
      durationSec: 60,
      seed: 1,
    });
    stopped.stop();
    expect((await stopped.done).written).toBe(0);
  });
});
