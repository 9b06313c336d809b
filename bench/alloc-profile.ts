import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * V8's sampling heap profiler over everything allocated, garbage included (the flags Node's
 * `--heap-prof` leaves off: it keeps only what is still alive), so the profile says where the
 * bytes that young-generation GCs sweep are allocated. Returns the function that stops it and
 * writes the profile (`.heapprofile`, opens in Chrome DevTools) to `file`, and returns the top
 * allocation sites by bytes. `retainedOnly` (feed bench `--alloc-retained`): only what no young-generation
 * GC collected, i.e. what survived the scavenges it met - under load, what gets promoted to the old
 * generation (garbage there until a mark-compact: stopping runs one, so those are kept) and makes each
 * scavenge long. Run the server with `--expose-gc` so that the young generation's last garbage is
 * swept before stopping, else it counts too.
 */
export function startAllocationSampling(
  file: string,
  { retainedOnly = false }: { retainedOnly?: boolean } = {},
): () => Promise<Record<string, number>> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: Record<string, unknown> = {}): Promise<T> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
    );
  const started = post('HeapProfiler.startSampling', {
    samplingInterval: 8_192,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !retainedOnly,
  });
  return async () => {
    await started;
    // retained: a last young-generation GC first (node --expose-gc), so the current young
    // generation's garbage does not count as surviving when stopping collects it
    if (retainedOnly) (globalThis as { gc?: (o: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
    const { profile } = await post<{ profile: { head: SamplingNode } }>('HeapProfiler.stopSampling');
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    return topSites(profile.head, 25);
  };
}

/** Bytes by allocating function (`name file:line`), the `n` largest. */
function topSites(head: SamplingNode, n: number): Record<string, number> {
  const bytes = new Map<string, number>();
  const visit = (node: SamplingNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    if (node.selfSize > 0) bytes.set(site, (bytes.get(site) ?? 0) + node.selfSize);
    node.children.forEach(visit);
  };
  visit(head);
  return Object.fromEntries([...bytes].sort((a, b) => b[1] - a[1]).slice(0, n));
}
