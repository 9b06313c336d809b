// Shared event parser throughput on simulator events (bytes in, validated event out).
//   npm run bench -- contracts-parse [--events 200000] [--rounds 5]
// Figures per variant: events/s and us/event (median of rounds, one core):
//   jsonOnly   - JSON.parse alone (the floor)
//   parseEvent - the shared parser (compiled class-validator metadata, fast path)
//   naive      - JSON.parse + plainToInstance + validateSync of envelope and data (the textbook way)
// and on the same events as enriched records (the real EnrichmentService + record splice):
//   enrichedJsonOnly    - JSON.parse alone
//   parseEnrichedEvent  - the shared enriched parser (what the aggregator runs per record)
//   writerDecoder       - embedding-writer's hand-written partial decoder (for comparison)
// cpuUsPerEvent is process.cpuUsage (user+sys) over the same rounds: less noisy on a shared box.
import {
  EVENT_DATA_CLASSES,
  EventEnvelopeDto,
  NowcastEvent,
  parseEnrichedEvent,
  parseEvent,
} from '@app/contracts';
import { MarketplaceSimulator } from '@app/simulator';
import { loadavg } from 'node:os';
import { toEnrichedRecord } from '../apps/event-enricher/src/enrichment/enrich-batch.service';
import { EnrichmentService } from '../apps/event-enricher/src/enrichment/enrichment.service';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function naive(buffer: Buffer): void {
  const plain = JSON.parse(buffer.toString('utf8')) as {
    type: keyof typeof EVENT_DATA_CLASSES;
    data: object;
  };
  const options = { whitelist: true, validationError: { target: false, value: false } };
  const envelopeErrors = validateSync(plainToInstance(EventEnvelopeDto, plain), options);
  const dataClass = EVENT_DATA_CLASSES[plain.type] as new () => object;
  const dataErrors = validateSync(plainToInstance(dataClass, plain.data), options);
  if (envelopeErrors.length + dataErrors.length > 0) throw new Error('invalid simulator event');
}

function measure(
  buffers: Buffer[],
  rounds: number,
  fn: (b: Buffer) => unknown,
): { eventsPerSec: number; usPerEvent: number; cpuUsPerEvent: number } {
  const results: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (const buffer of buffers) fn(buffer);
    results.push(Number(process.hrtime.bigint() - start) / 1_000 / buffers.length);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / buffers.length);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const us = median(results);
  return {
    eventsPerSec: Math.round(1e6 / us),
    usPerEvent: Number(us.toFixed(2)),
    cpuUsPerEvent: Number(median(cpu).toFixed(2)),
  };
}

/** The events as the enricher writes them: its real enrichment, spliced into the event's JSON. */
function enrichedRecords(events: readonly NowcastEvent[], nowMs: number): Buffer[] {
  // one batch over everything: later events see the streams and follows earlier ones created
  const { enrichments } = new EnrichmentService().enrichBatch(
    events,
    { streams: new Map(), follows: new Map() },
    nowMs,
  );
  return events.map((event, i) => {
    const { value } = toEnrichedRecord(event, enrichments[i], JSON.stringify(event), undefined);
    return Buffer.from(value as string);
  });
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const count = arg(args, 'events', 200_000);
  const rounds = arg(args, 'rounds', 5);
  const now = Date.now();
  const sim = new MarketplaceSimulator({ seed: 1, startTimeMs: now - 3_600_000 });
  const events = sim.take(count);
  const buffers = events.map((e) => Buffer.from(JSON.stringify(e)));
  const enriched = enrichedRecords(events, now);
  const enrichedBytes = enriched.reduce((sum, b) => sum + b.length, 0) / enriched.length;
  const bytes = buffers.reduce((sum, b) => sum + b.length, 0) / buffers.length;
  const options = { nowMs: now + 60_000_000 };
  // Warm up every path (JIT) before measuring.
  for (const b of buffers.slice(0, 20_000)) {
    JSON.parse(b.toString('utf8'));
    parseEvent(b, options);
    naive(b);
  }
  for (const b of enriched.slice(0, 20_000)) parseEnrichedEvent(b);
  await Promise.resolve();
  return {
    events: count,
    loadAverage1m: Number(loadavg()[0].toFixed(1)),
    avgBytes: Math.round(bytes),
    jsonOnly: measure(buffers, rounds, (b) => JSON.parse(b.toString('utf8'))),
    parseEvent: measure(buffers, rounds, (b) => parseEvent(b, options)),
    naive: measure(buffers, Math.max(1, Math.floor(rounds / 2)), naive),
    enrichedAvgBytes: Math.round(enrichedBytes),
    enrichedJsonOnly: measure(enriched, rounds, (b) => JSON.parse(b.toString('utf8'))),
    parseEnrichedEvent: measure(enriched, rounds, (b) => parseEnrichedEvent(b)),
  };
}
