import { SuiteOptions } from './suite-options';
import { SuiteResult } from './suite-result';
import { SuiteTarget } from './suite-target';

/** What a section gets: the options, the result to fill, a place for its details, progress. */
export interface SectionContext {
  options: SuiteOptions;
  result: SuiteResult;
  /** Everything behind the figures (trials, per-run numbers, CPU per event...), one key per section. */
  details: Record<string, unknown>;
  /** Notes printed under the table (e.g. "quality on 100k events (--quick)"). */
  notes: string[];
  /** Shows what is running now on the progress bar. */
  progress(detail: string): void;
  /** The mesh or nowcast, started on first use and kept for the next section. */
  target(): Promise<SuiteTarget>;
  /** Stops it (before sections that must not compete with it for the CPU). */
  stopTarget(): Promise<void>;
}

export type Section = (ctx: SectionContext) => Promise<void>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The number at `path` inside another bench's result object, or undefined (their shapes may change). */
export function pick(value: unknown, ...path: string[]): number | undefined {
  let node: unknown = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'number' && Number.isFinite(node) ? node : undefined;
}
