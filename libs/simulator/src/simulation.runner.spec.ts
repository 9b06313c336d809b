import { NowcastEvent } from '@app/contracts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayEventLog, summarizeEventLog } from './event-log.replayer';
import { MarketplaceSimulator } from './marketplace.simulator';
import { runSimulation } from './simulation.runner';
import { InProcessSink } from './sinks/in-process.sink';
import { JsonLinesFileSink } from './sinks/json-lines-file.sink';

const START = 1_764_150_000_000;
const dir = mkdtempSync(join(tmpdir(), 'nowcast-sim-'));

describe('runSimulation', () => {
  it('writes N events in simulated time, in batches, to the in-process sink', async () => {
    const batches: number[] = [];
    const received: NowcastEvent[] = [];
    const sink = new InProcessSink((events) => {
      batches.push(events.length);
      received.push(...events);
    });
    const sim = new MarketplaceSimulator({ seed: 1, startTimeMs: START });
    const result = await runSimulation(sim, sink, { mode: 'simulated', maxEvents: 2_500, batchSize: 1_000 });
    expect(result.written).toBe(2_500);
    expect(batches).toEqual([1_000, 1_000, 500]);
    expect(received).toEqual(new MarketplaceSimulator({ seed: 1, startTimeMs: START }).take(2_500));
  });

  it('stops at an event time', async () => {
    const received: NowcastEvent[] = [];
    const sim = new MarketplaceSimulator({ seed: 1, startTimeMs: START });
    await runSimulation(sim, new InProcessSink((events) => void received.push(...events)), {
      mode: 'simulated',
      untilMs: START + 30_000,
    });
    expect(received.at(-1)!.occurredAt).toBeLessThanOrEqual(START + 30_000);
    expect(sim.peekTime()).toBeGreaterThan(START + 30_000);
  });

  it('paces by a clock: only events whose time has come are written', async () => {
    const now = START + 5_000;
    const received: NowcastEvent[] = [];
    const sim = new MarketplaceSimulator({ seed: 1, startTimeMs: START });
    const abort = new AbortController();
    const sink = new InProcessSink((events) => {
      received.push(...events);
      abort.abort();
    });
    await runSimulation(sim, sink, { mode: 'paced', clock: () => now, signal: abort.signal, batchSize: 1e9 });
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((e) => e.occurredAt <= now)).toBe(true);
    expect(sim.peekTime()).toBeGreaterThan(now);
  });
});

describe('JSON-lines log and replay', () => {
  it('writes a log that replays with times shifted to end now', async () => {
    const path = join(dir, 'log.jsonl');
    const sim = new MarketplaceSimulator({ seed: 2, startTimeMs: START });
    const fileSink = new JsonLinesFileSink(path);
    await runSimulation(sim, fileSink, { mode: 'simulated', maxEvents: 3_000 });
    await fileSink.close();
    const original = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as NowcastEvent);
    expect(original).toHaveLength(3_000);

    const summary = await summarizeEventLog(path);
    expect(summary).toMatchObject({
      events: 3_000,
      invalid: 0,
      firstMs: original[0].occurredAt,
      lastMs: original.at(-1)!.occurredAt,
    });
    const replayed: NowcastEvent[] = [];
    const now = START + 86_400_000;
    const result = await replayEventLog(path, summary, new InProcessSink((e) => void replayed.push(...e)), {
      clock: () => now,
    });
    expect(result).toMatchObject({ replayed: 3_000, invalid: 0, shiftMs: now - summary.lastMs });
    expect(replayed.at(-1)!.occurredAt).toBe(now);
    expect(replayed.map((e) => ({ ...e, occurredAt: e.occurredAt - result.shiftMs }))).toEqual(original);
  });

  it('keeps times with keepTime and skips invalid lines', async () => {
    const path = join(dir, 'mixed.jsonl');
    const sim = new MarketplaceSimulator({ seed: 3, startTimeMs: START });
    const good = sim.take(3);
    writeFileSync(
      path,
      [
        JSON.stringify(good[0]),
        'not json',
        '',
        JSON.stringify(good[1]),
        '{"type":"nope"}',
        JSON.stringify(good[2]),
      ].join('\n'),
    );
    const summary = await summarizeEventLog(path);
    expect(summary).toMatchObject({ events: 3, invalid: 2 });
    const replayed: NowcastEvent[] = [];
    const result = await replayEventLog(path, summary, new InProcessSink((e) => void replayed.push(...e)), {
      keepTime: true,
    });
    expect(replayed).toEqual(good);
    expect(result).toMatchObject({ replayed: 3, invalid: 2, shiftMs: 0 });
  });

  it('paces by speed: at speed 1000 a 5-minute log takes about 0.3 s', async () => {
    const path = join(dir, 'paced.jsonl');
    const sim = new MarketplaceSimulator({ seed: 4, startTimeMs: START, ratePerSec: 20 });
    const sink = new JsonLinesFileSink(path);
    await runSimulation(sim, sink, { mode: 'simulated', untilMs: START + 300_000 });
    await sink.close();
    const summary = await summarizeEventLog(path);
    const sent: { wallMs: number; occurredAt: number }[] = [];
    const started = Date.now();
    const sink2 = new InProcessSink((events) => {
      for (const e of events) sent.push({ wallMs: Date.now(), occurredAt: e.occurredAt });
    });
    const result = await replayEventLog(path, summary, sink2, { speed: 1000, batchSize: 1 });
    expect(sent).toHaveLength(summary.events);
    const spanMs = summary.lastMs - summary.firstMs;
    expect(result.wallMs).toBeGreaterThanOrEqual(spanMs / 1000 - 5);
    // No event leaves before its due time (event time / speed after the start).
    const early = sent.filter(
      (s) => s.wallMs < started + (s.occurredAt - result.shiftMs - summary.firstMs) / 1000 - 5,
    );
    expect(early).toEqual([]);
    // And none is in the future when sent (speed >= 1).
    expect(sent.filter((s) => s.occurredAt > s.wallMs)).toEqual([]);
  });
});
