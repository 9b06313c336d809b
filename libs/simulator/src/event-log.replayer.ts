import { InvalidMessageError, NowcastEvent, parseEvent } from '@app/contracts';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { EventSink } from './sinks/event-sink';

/** Envelopes from a log are re-validated, but without the occurredAt window (times get shifted). */
const NO_WINDOW = { maxPastMs: Infinity, maxFutureMs: Infinity };

export interface EventLogSummary {
  /** Valid events (lines that parse as v1 envelopes). */
  events: number;
  /** Lines skipped: blank excluded, invalid counted. */
  invalid: number;
  firstMs: number;
  lastMs: number;
}

/** Reads a JSON-lines event log, yielding each valid event (invalid lines go to onInvalid). */
export async function* readEventLog(
  path: string,
  onInvalid?: (line: number, error: InvalidMessageError) => void,
): AsyncGenerator<NowcastEvent> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim().length === 0) continue;
    try {
      yield parseEvent(line, NO_WINDOW);
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      onInvalid?.(lineNo, error);
    }
  }
}

/** One pass over a log: how many events and their time span (for the time shift and progress). */
export async function summarizeEventLog(path: string): Promise<EventLogSummary> {
  const summary: EventLogSummary = { events: 0, invalid: 0, firstMs: Infinity, lastMs: -Infinity };
  for await (const event of readEventLog(path, () => summary.invalid++)) {
    summary.events++;
    summary.firstMs = Math.min(summary.firstMs, event.occurredAt);
    summary.lastMs = Math.max(summary.lastMs, event.occurredAt);
  }
  return summary;
}

export interface ReplayOptions {
  /** Event time / wall time; Infinity (default) = as fast as the sink takes them. */
  speed?: number;
  /** Keep the original occurredAt instead of shifting the log to end now. */
  keepTime?: boolean;
  batchSize?: number;
  clock?: () => number;
  signal?: AbortSignal;
  onProgress?: (replayed: number) => void;
}

export interface ReplayResult {
  replayed: number;
  invalid: number;
  /** Added to every occurredAt (ms); 0 with keepTime. */
  shiftMs: number;
  wallMs: number;
}

/**
 * Replays a log into a sink. Times are shifted so the log ends when the replay ends (as fast as
 * possible: at its start), so a replayed log looks live; with speed >= 1 no event is ever in the
 * future when sent. Pacing follows event time divided by speed.
 */
export async function replayEventLog(
  path: string,
  summary: EventLogSummary,
  sink: EventSink,
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  const clock = options.clock ?? Date.now;
  const speed = options.speed ?? Infinity;
  if (!(speed > 0)) throw new RangeError(`speed must be > 0: ${speed}`);
  const batchSize = options.batchSize ?? 1_000;
  const startedAt = clock();
  const spanMs = summary.events > 0 ? summary.lastMs - summary.firstMs : 0;
  const shiftMs =
    options.keepTime || summary.events === 0 ? 0 : Math.round(startedAt + spanMs / speed - summary.lastMs);
  let replayed = 0;
  let invalid = 0;
  const batch: NowcastEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await sink.write(batch);
    replayed += batch.length;
    batch.length = 0;
    options.onProgress?.(replayed);
  };
  for await (const event of readEventLog(path, () => invalid++)) {
    if (options.signal?.aborted) break;
    if (speed !== Infinity) {
      const dueAt = startedAt + (event.occurredAt - summary.firstMs) / speed;
      if (dueAt > clock()) {
        await flush();
        const wait = dueAt - clock();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    batch.push(shiftMs === 0 ? event : { ...event, occurredAt: event.occurredAt + shiftMs });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return { replayed, invalid, shiftMs, wallMs: clock() - startedAt };
}
