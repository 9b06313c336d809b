import { InvalidMessageError } from '../events/invalid-message.error';
import { toObject } from '../events/parse-event';
import { DEFAULT_TOPICS } from '../topics';
import { DEFAULT_MAX_EVENT_BYTES } from '../validation/limits';
import { validateClass } from '../validation/validate-class';
import {
  LifetimeTotalsDto,
  RATE_WINDOWS,
  RateWindow,
  StreamEndReason,
  StreamMetricsSnapshotDto,
  WindowRatesDto,
} from './stream-metrics-snapshot.dto';
import { readStreamMetricsSnapshot } from './stream-metrics-snapshot.reader';

/** Default compacted topic of per-stream metrics snapshots (key = streamId). */
export const STREAM_METRICS_TOPIC = DEFAULT_TOPICS.metricsStreams;

export type WindowRates = { [K in keyof WindowRatesDto]: number };
export type LifetimeTotals = Omit<LifetimeTotalsDto, never>;

export interface StreamMetricsSnapshot {
  streamId: string;
  live: boolean;
  endReason?: StreamEndReason;
  sellerId: string;
  category: string;
  language: string;
  title: string;
  startedAt: number;
  endedAt?: number;
  viewers: number;
  peakViewers: number;
  uniqueViewers: number;
  rates: Record<RateWindow, WindowRates>;
  viewerVelocity: number;
  engagementScore: number;
  lifetime: LifetimeTotals;
  lastEventAt: number;
  updatedAt: number;
}

/**
 * Validates one change-feed record (unknown fields dropped). Valid records take the compiled
 * reader; an invalid one goes through the reference below for its issues.
 */
export function parseStreamMetricsSnapshot(input: unknown): StreamMetricsSnapshot {
  const plain = toObject(input, DEFAULT_MAX_EVENT_BYTES);
  return readStreamMetricsSnapshot(plain) ?? parseStreamMetricsObjectSlow(plain);
}

/** The reference: validateClass per class, every issue with its path. */
export function parseStreamMetricsObjectSlow(plain: Record<string, unknown>): StreamMetricsSnapshot {
  const top = validateClass(StreamMetricsSnapshotDto, plain, '');
  const issues = [...top.issues];
  const rates = {} as Record<RateWindow, WindowRates>;
  let lifetime: LifetimeTotals | undefined;
  if (issues.length === 0) {
    const ratesPlain = plain.rates as Record<string, unknown>;
    for (const window of RATE_WINDOWS) {
      const windowPlain = ratesPlain[window];
      if (typeof windowPlain !== 'object' || windowPlain === null) {
        issues.push({ path: `rates.${window}`, message: `rates.${window} must be an object` });
        continue;
      }
      const validated = validateClass(WindowRatesDto, windowPlain, `rates.${window}.`);
      issues.push(...validated.issues);
      rates[window] = { ...validated.value };
    }
    const validated = validateClass(LifetimeTotalsDto, plain.lifetime as object, 'lifetime.');
    issues.push(...validated.issues);
    lifetime = { ...validated.value, gmvByCurrency: { ...validated.value.gmvByCurrency } };
  }
  if (issues.length > 0 || lifetime === undefined) throw new InvalidMessageError('invalid-field', issues);
  return { ...top.value, rates, lifetime };
}
