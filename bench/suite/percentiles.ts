/** Nearest-rank quantile (q in [0, 1]) of `values`; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Rounds to `digits` decimals; null stays null, NaN/Infinity become null (JSON has no NaN). */
export function round(value: number | null | undefined, digits = 2): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export interface LatencySummary {
  count: number;
  /** ms */
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export function summarize(valuesMs: readonly number[]): LatencySummary {
  return {
    count: valuesMs.length,
    p50: round(quantile(valuesMs, 0.5)),
    p99: round(quantile(valuesMs, 0.99)),
    max: round(valuesMs.length > 0 ? Math.max(...valuesMs) : NaN),
  };
}
