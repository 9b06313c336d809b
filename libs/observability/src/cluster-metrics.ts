import cluster from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';

const SCRAPE_REQUEST = 'nowcast:metrics-scrape';
const SCRAPE_REPLY = 'nowcast:metrics-scrape-reply';
/** A scrape that the primary does not answer in this time fails (ms); Prometheus retries the next interval. */
const SCRAPE_TIMEOUT_MS = 5_000;

interface ScrapeMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
}

function isScrape(message: unknown, type: string): message is ScrapeMessage {
  return typeof message === 'object' && message !== null && (message as ScrapeMessage).type === type;
}

/**
 * In a cluster primary (HTTP_WORKERS > 1): answers a worker's scrape with every worker's metrics
 * merged by prom-client's AggregatorRegistry (counters and histograms summed, per-process gauges
 * as prom-client aggregates them), so `/metrics` on the shared port describes the whole service
 * whichever worker the scrape lands on.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isScrape(message, SCRAPE_REQUEST)) return;
    const reply = (fields: Partial<ScrapeMessage>): void => {
      if (worker.isConnected()) worker.send({ type: SCRAPE_REPLY, id: message.id, ...fields });
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: String(error) }),
    );
  });
}

/**
 * What `/metrics` serves: this process's registry, or in a cluster worker the merged metrics of
 * all workers (asked of the primary; the registry is what this worker contributes).
 */
export function metricsTextSource(registry: Registry): () => Promise<string> {
  if (!cluster.isWorker) return () => registry.metrics();
  AggregatorRegistry.setRegistries([registry]);
  // constructing one registers prom-client's worker-side listener that answers the primary
  new AggregatorRegistry();
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let next = 0;
  process.on('message', (message: unknown) => {
    if (!isScrape(message, SCRAPE_REPLY)) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiting?.reject(new Error(message.error));
    else waiting?.resolve(message.text ?? '');
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the cluster primary did not answer the scrape in ${SCRAPE_TIMEOUT_MS} ms`));
      }, SCRAPE_TIMEOUT_MS);
      pending.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      process.send?.({ type: SCRAPE_REQUEST, id });
    });
}
