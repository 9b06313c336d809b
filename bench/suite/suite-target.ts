import { NowcastEvent } from '@app/contracts';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LoadSink } from './load-generator';
import { SuiteMode } from './suite-result';

export const ROOT = join(__dirname, '../..');

/** What the ingest and latency sections drive: the mesh on Kafka, or apps/nowcast in one process. */
export interface SuiteTarget {
  mode: SuiteMode;
  /** Base URL of the recommender API (feeds). */
  recommenderUrl: string;
  /** Where the load generator sends events. */
  loadSink: LoadSink;
  /** Sends one event the way the load does; resolves once the broker / the ingress acknowledged it. */
  produce(event: NowcastEvent): Promise<void>;
  /** The pipeline's consumer lag now. */
  lag(): Promise<LagReading>;
  /** Lines worth keeping in the details (runtime, topics, ...). */
  describe(): Record<string, unknown>;
  /**
   * The processes whose CPU time an event costs (services, and the broker and Redis when local),
   * for the trials' CPU per event: a steadier figure than a rate on a VM whose speed varies.
   */
  processes(): { name: string; pid?: number }[];
  stop(): Promise<void>;
  /** SIGKILLs its processes at once (the suite is exiting abnormally). */
  kill(): void;
}

export interface LagReading {
  /** Largest lag of any consumer group / partition, s; null when it cannot be measured. */
  maxLagSec: number | null;
  /** Per group (mesh) or 'asOf' (the feed's freshness), s. */
  byConsumer: Record<string, number>;
}

/** Newest mtime (ms) of the non-test .ts files under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * 'dist' when every app's bundle exists and is newer than every source under apps/ and libs/
 * (what the image runs), else 'source' (main.ts through swc: same code, slower boot).
 */
export function pickRuntime(
  apps: readonly string[],
  requested: 'auto' | 'dist' | 'source',
): 'dist' | 'source' {
  if (requested !== 'auto') return requested;
  const sources = Math.max(newestSource(join(ROOT, 'apps')), newestSource(join(ROOT, 'libs')));
  const fresh = apps.every((app) => {
    const bundle = join(ROOT, 'dist/apps', app, 'main.js');
    return existsSync(bundle) && statSync(bundle).mtimeMs > sources;
  });
  return fresh ? 'dist' : 'source';
}
