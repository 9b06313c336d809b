import { mixSeed } from './random';

/**
 * Deterministic UUID-format event ids (version-4 layout): 80 bits from the seed, 48 bits of a
 * counter, so a run with the same seed produces the same ids and ids never repeat within a run
 * (2^48 events). Different seeds differ in the seed bits.
 */
export class EventIdFactory {
  private readonly prefix: string;
  private counter = 0;

  constructor(seed: number) {
    const hex = (n: number, digits: number) =>
      n
        .toString(16)
        .padStart(8, '0')
        .slice(8 - digits);
    const a = mixSeed(seed, 1);
    const b = mixSeed(seed, 2);
    const c = mixSeed(seed, 3);
    // xxxxxxxx-xxxx-4xxx-[89ab]xxx-<counter 12 hex>
    const variant = (8 + (c & 3)).toString(16);
    this.prefix = `${hex(a, 8)}-${hex(b, 4)}-4${hex(b >>> 16, 3)}-${variant}${hex(c >>> 8, 3)}-`;
  }

  next(): string {
    return this.prefix + (this.counter++).toString(16).padStart(12, '0');
  }

  get issued(): number {
    return this.counter;
  }
}
