import { NowcastEvent } from '@app/contracts';
import { EventSink } from './sinks/event-sink';

/** Something that yields events in non-decreasing occurredAt order. */
export interface EventSource {
  next(): NowcastEvent | undefined;
  /** occurredAt of the next event, or Infinity when there is none. */
  peekTime(): number;
}

export interface RunOptions {
  /** 'paced': occurredAt is wall-clock time (waits for it); 'simulated': as fast as possible. */
  mode: 'paced' | 'simulated';
  /** Stop after this many events. */
  maxEvents?: number;
  /** Stop at this event time (epoch ms). */
  untilMs?: number;
  /** Events per sink write (simulated mode; paced mode writes what is due). Default 1,000. */
  batchSize?: number;
  /** Wall clock, for tests. */
  clock?: () => number;
  signal?: AbortSignal;
  onProgress?: (written: number, lastOccurredAt: number) => void;
}

export interface RunResult {
  written: number;
  wallMs: number;
  lastOccurredAt: number;
}

/**
 * Pulls events from a source into a sink. Paced mode writes, every tick, every event whose time
 * has come (so tens of thousands per second cost a handful of writes, not a timer per event).
 */
export async function runSimulation(
  source: EventSource,
  sink: EventSink,
  options: RunOptions,
): Promise<RunResult> {
  const clock = options.clock ?? Date.now;
  const maxEvents = options.maxEvents ?? Infinity;
  const untilMs = options.untilMs ?? Infinity;
  const batchSize = options.batchSize ?? 1_000;
  const startedAt = clock();
  let written = 0;
  let lastOccurredAt = 0;
  const batch: NowcastEvent[] = [];
  for (;;) {
    if (options.signal?.aborted) break;
    const horizon = options.mode === 'paced' ? Math.min(clock(), untilMs) : untilMs;
    while (batch.length < batchSize && written + batch.length < maxEvents && source.peekTime() <= horizon) {
      const event = source.next();
      if (!event) break;
      batch.push(event);
    }
    if (batch.length > 0) {
      await sink.write(batch);
      written += batch.length;
      lastOccurredAt = batch[batch.length - 1].occurredAt;
      batch.length = 0;
      options.onProgress?.(written, lastOccurredAt);
    }
    const nextAt = source.peekTime();
    if (written >= maxEvents || nextAt > untilMs || nextAt === Infinity) break;
    if (options.mode === 'paced' && nextAt > clock())
      await sleep(Math.min(50, nextAt - clock()), options.signal);
  }
  return { written, wallMs: clock() - startedAt, lastOccurredAt };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(1, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
