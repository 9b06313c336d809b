import { ClassReader, compileClassReader } from '../enriched/class-reader';
import { validateClass } from '../validation/validate-class';
import type { LifetimeTotals, StreamMetricsSnapshot, WindowRates } from './stream-metrics-snapshot';
import {
  LifetimeTotalsDto,
  RATE_WINDOWS,
  RateWindow,
  StreamMetricsSnapshotDto,
  WindowRatesDto,
} from './stream-metrics-snapshot.dto';

type Plain = Record<string, unknown>;

interface Readers {
  top: ClassReader<Plain>;
  window: ClassReader<WindowRates>;
  lifetime: ClassReader<LifetimeTotals>;
}

/** A class the compiler cannot run goes through validateClass (CompiledValidator), verdict only. */
function readerOf<T extends object>(cls: new () => T): ClassReader<T> {
  return (
    compileClassReader(cls, 'plain') ??
    ((plain) => {
      const validated = validateClass(cls, plain, '');
      return validated.issues.length > 0 ? null : { ...validated.value };
    })
  );
}

let readers: Readers | undefined;

/** Compiled on first use (the decorators have all run by then). */
function compiledReaders(): Readers {
  readers ??= {
    top: readerOf(StreamMetricsSnapshotDto) as unknown as ClassReader<Plain>,
    window: readerOf(WindowRatesDto),
    lifetime: readerOf(LifetimeTotalsDto),
  };
  return readers;
}

function isObjectValue(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null;
}

/**
 * The snapshot when every class-validator rule passes, else null (the caller then runs the
 * reference parse for the reasons). Same result as the reference: the decorated top-level fields
 * in decorator order, `rates` rebuilt per window and `lifetime` (with its own copy of
 * gmvByCurrency) as plain objects; the same rules, compiled into one function per class instead of
 * validateClass' generic loop (this runs for every record of the metrics change feed).
 */
export function readStreamMetricsSnapshot(plain: Plain): StreamMetricsSnapshot | null {
  const r = compiledReaders();
  const top = r.top(plain);
  if (top === null) return null;
  // IsObject passed for both: non-null, non-array objects (or functions, only in parsed input)
  const ratesPlain = top.rates;
  const lifetimePlain = top.lifetime;
  if (!isObjectValue(ratesPlain) || !isObjectValue(lifetimePlain)) return null;
  const rates = {} as Record<RateWindow, WindowRates>;
  for (const window of RATE_WINDOWS) {
    const windowPlain = ratesPlain[window];
    if (!isObjectValue(windowPlain)) return null;
    const windowRates = r.window(windowPlain);
    if (windowRates === null) return null;
    rates[window] = windowRates;
  }
  const lifetime = r.lifetime(lifetimePlain);
  if (lifetime === null) return null;
  lifetime.gmvByCurrency = { ...lifetime.gmvByCurrency };
  // same keys as the reader's copy: rates and lifetime keep their places
  top.rates = rates;
  top.lifetime = lifetime;
  return top as unknown as StreamMetricsSnapshot;
}
