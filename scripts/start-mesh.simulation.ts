import {
  EventSink,
  FeedClient,
  HttpSink,
  KafkaSink,
  MarketplaceSimulator,
  runSimulation,
} from '@app/simulator';
import { randomUUID } from 'node:crypto';

export interface MeshSimulationOptions {
  ratePerSec: number;
  seed: number;
  /** kafka: produce to the raw topic (as a real producer would); http: POST /v1/events. */
  sink: 'kafka' | 'http';
  kafkaBrokers: string[];
  rawTopic: string;
  ingressUrl: string;
  recommenderUrl: string;
  feedRequestsPerSec: number;
  /** Keys of the ingest and read scopes when the services require API keys. */
  ingestKey?: string;
  readKey?: string;
  /** A failure of the simulation (e.g. the sink gave up); the status line keeps going without it. */
  onError: (error: unknown) => void;
}

export interface MeshSimulation {
  /** A user watching something right now (their feed is personal), or `user-0`. */
  sampleUser(): string;
  stop(): Promise<void>;
}

/**
 * The live marketplace against the running mesh: paced events into the raw topic (or the
 * ingress) and simulated users opening their feeds and reacting (impressions, clicks), as
 * `npm start` does in one process.
 */
export function startMeshSimulation(options: MeshSimulationOptions): MeshSimulation {
  const simulator = new MarketplaceSimulator({
    seed: options.seed,
    startTimeMs: Date.now(),
    ratePerSec: options.ratePerSec,
  });
  const sink: EventSink =
    options.sink === 'kafka'
      ? new KafkaSink({
          brokers: options.kafkaBrokers,
          topic: options.rawTopic,
          clientId: 'nowcast-start-mesh',
        })
      : new HttpSink({ baseUrl: options.ingressUrl, apiKey: options.ingestKey });
  const abort = new AbortController();
  const simulation = runSimulation(simulator, sink, { mode: 'paced', signal: abort.signal }).catch(
    options.onError,
  );
  const sampleUser = (): string => {
    const viewers = simulator.live.viewers;
    return viewers.length > 0 ? viewers[Math.floor(Math.random() * viewers.length)].user.id : 'user-0';
  };
  const client = new FeedClient({
    baseUrl: options.recommenderUrl,
    apiKey: options.readKey,
    // the reactions (impressions, clicks) go where the marketplace's events go
    sink,
    random: Math.random,
    nextEventId: randomUUID,
  });
  const feedTimer =
    options.feedRequestsPerSec > 0
      ? setInterval(
          () => void client.visit(sampleUser()).catch(() => undefined),
          Math.max(10, Math.round(1000 / options.feedRequestsPerSec)),
        )
      : undefined;
  return {
    sampleUser,
    stop: async () => {
      clearInterval(feedTimer);
      abort.abort();
      await simulation;
      await sink.close();
    },
  };
}
