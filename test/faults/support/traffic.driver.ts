import { NowcastEvent, partitionKeyOf } from '@app/contracts';
import { EventSink, MarketplaceSimulator, runSimulation } from '@app/simulator';
import { Kafka, Message, Producer, logLevel } from 'kafkajs';
import { GroundTruth } from './ground-truth';
import { PoisonFactory, PoisonMessage } from './poison.factory';

export interface TrafficOptions {
  brokers: string[];
  rawTopic: string;
  truth: GroundTruth;
  /** Simulated events per second, paced on the wall clock. */
  ratePerSec: number;
  seed: number;
  /** One poison message and one client duplicate per this many valid events (0 = none). */
  poisonEvery?: number;
  runId: string;
}

/** Events per produce request (KafkaJS does not batch by itself). */
const MAX_MESSAGES_PER_SEND = 2_000;
/** Pause between attempts while the broker is unreachable, ms. */
const RETRY_PAUSE_MS = 500;

/**
 * Drives the mesh like a client would: the seeded simulator, paced on the wall clock, produced
 * to the raw topic. A batch the broker does not acknowledge is sent again until it is (the events
 * keep their eventIds, so a resend of something the broker did write is a duplicate the enricher
 * drops): the ground truth counts each eventId once, after the acknowledgement.
 */
export class TrafficDriver implements EventSink {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private readonly poison: PoisonFactory;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private sinceInjection = 0;
  private recent: NowcastEvent | undefined;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private inflight: Promise<void> = Promise.resolve();
  readonly poisonSent: PoisonMessage[] = [];
  readonly duplicateIds: string[] = [];
  /** Produce attempts that failed (the broker was down or unreachable). */
  failedSends = 0;
  produced = 0;
  /** Wall-clock span of the production (start -> last acknowledged batch), ms. */
  private startedAt = 0;
  private lastAckAt = 0;

  constructor(private readonly options: TrafficOptions) {
    this.kafka = new Kafka({
      clientId: `faults-traffic-${options.runId}`,
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    this.poison = new PoisonFactory(options.runId);
  }

  get truth(): GroundTruth {
    return this.options.truth;
  }

  /** Starts producing in the background (paced); `stop` ends it. */
  start(): void {
    const sim = new MarketplaceSimulator({
      seed: this.options.seed,
      startTimeMs: Date.now(),
      ratePerSec: this.options.ratePerSec,
    });
    this.startedAt = Date.now();
    this.running = runSimulation(sim, this, { mode: 'paced', signal: this.abort.signal }).then(
      () => undefined,
    );
  }

  /** Stops the simulator after the batch in flight was acknowledged. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.resume();
    await this.running;
  }

  /** Holds production (the simulator falls behind the clock) once the batch in flight is acknowledged. */
  async pause(): Promise<void> {
    this.gate ??= new Promise<void>((resolve) => (this.openGate = resolve));
    await this.inflight;
  }

  /** Lets production go on (the backlog of the pause is sent at once). */
  resume(): void {
    const open = this.openGate;
    this.gate = undefined;
    this.openGate = undefined;
    open?.();
  }

  /** Events per second actually produced (below the target when the machine cannot keep up). */
  get achievedRatePerSec(): number {
    const ms = this.lastAckAt - this.startedAt;
    return ms > 0 ? Math.round((this.produced * 1000) / ms) : 0;
  }

  async write(events: readonly NowcastEvent[]): Promise<void> {
    while (this.gate) await this.gate;
    const written = this.produce(events);
    this.inflight = written;
    await written;
  }

  private async produce(events: readonly NowcastEvent[]): Promise<void> {
    const messages: Message[] = [];
    const poison: PoisonMessage[] = [];
    const duplicates: string[] = [];
    const every = this.options.poisonEvery ?? 0;
    for (const event of events) {
      messages.push({ key: partitionKeyOf(event), value: JSON.stringify(event) });
      if (every > 0 && ++this.sinceInjection >= every) {
        this.sinceInjection = 0;
        const p = this.poison.next(event, Date.now());
        poison.push(p);
        messages.push({ key: p.key, value: p.value });
        // a client retry of an event sent (and acknowledged) in an earlier batch
        if (this.recent && this.truth.has(this.recent.eventId)) {
          duplicates.push(this.recent.eventId);
          messages.push({ key: partitionKeyOf(this.recent), value: JSON.stringify(this.recent) });
        }
      }
    }
    await this.send(messages);
    this.truth.add(events);
    this.truth.duplicatesSent += duplicates.length;
    this.poisonSent.push(...poison);
    this.duplicateIds.push(...duplicates);
    this.produced += events.length;
    this.lastAckAt = Date.now();
    this.recent = events[events.length - 1];
  }

  private async send(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += MAX_MESSAGES_PER_SEND) {
      const chunk = messages.slice(start, start + MAX_MESSAGES_PER_SEND);
      for (;;) {
        try {
          this.producer ??= await this.connect();
          await this.producer.send({ topic: this.options.rawTopic, messages: chunk, acks: -1 });
          break;
        } catch {
          this.failedSends++;
          const producer = this.producer;
          this.producer = undefined;
          await producer?.disconnect().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
        }
      }
    }
  }

  private async connect(): Promise<Producer> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    try {
      await producer.connect();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    return producer;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }
}
