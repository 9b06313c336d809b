/** Holds the event loop with synchronous work for `ms`, as a CPU-bound handler does. */
export function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}
