import { EnrichedEvent } from '@app/contracts';
import { AggregatorSettings, DEFAULT_AGGREGATOR_SETTINGS } from '../aggregation/aggregator.settings';
import { BatchApplier } from '../aggregation/batch-applier';
import { BatchFoldService } from '../aggregation/batch-fold.service';
import { RATE_SLOTS } from '../aggregation/decay';
import { expiredEventId } from '../liveness/expired-event-id';
import { EnrichedEventFactory } from '../test-support/enriched-events.factory';
import { AggregateStateRepository, StreamState, applySettingsOf } from './aggregate-state.repository';
import { ConformanceSubject } from './aggregate-state.conformance';
import { encodePackedRates } from './packed-rates.codec';
import { HOT_FIELDS, PACKED_STREAM_VERSION } from './packed-stream.codec';
import { AGGREGATE_STATE_FORMAT, NewerStateFormatError } from './state-format';

const T0 = Date.UTC(2026, 10, 26, 12);
const TOPIC = 'enriched';

// awkward doubles (17 significant digits, tiny, huge) for the sums the previous version packed
const RATES = Array.from({ length: RATE_SLOTS }, (_, i) =>
  i % 3 === 0 ? 0 : (i + 1) / 7 + Math.PI * 10 ** (i - 13),
);

/**
 * A stream hash as the version before format 2 wrote it: the numbers as decimal text fields
 * (velocity and score '%.17g'), `r` = format 1 (version byte 1 + 27 doubles).
 */
function previousVersionHash(live: boolean): Record<string, string | Buffer> {
  return {
    live: live ? '1' : '0',
    sellerId: 'seller-1',
    title: 'old',
    category: 'watches',
    language: 'en',
    startedAt: String(T0),
    topic: TOPIC,
    partition: '0',
    lastActivityAt: String(T0 + 1_000),
    lastHeartbeatAt: String(T0 + 500),
    lastEventAt: String(T0 + 1_000),
    chats: '7',
    bids: '3',
    purchases: '2',
    giveaways: '1',
    uniqueViewers: '5',
    viewers: '4',
    peakViewers: '9',
    velocity: (-1 / 3).toPrecision(17),
    score: (Math.PI * 1e5).toPrecision(17),
    'gmv:EUR': '12345',
    rt: String(T0 + 1_000),
    r: encodePackedRates(RATES),
  };
}

const OLD_STATE = {
  id: 'old',
  sellerId: 'seller-1',
  lastActivityAt: T0 + 1_000,
  lastHeartbeatAt: T0 + 500,
  lastEventAt: T0 + 1_000,
  chats: 7,
  bids: 3,
  purchases: 2,
  giveaways: 1,
  uniqueViewers: 5,
  viewers: 4,
  peakViewers: 9,
  velocity: -1 / 3,
  score: Math.PI * 1e5,
  gmv: { EUR: 12345 },
  rt: T0 + 1_000,
  rates: RATES,
};

/**
 * Upgrade of the stream hash (docs/key-layout.md, field `r`): a hash the previous version
 * wrote is read exactly, and the first batch touching it rewrites it in format 2 (the numbers in
 * `r`, their text fields deleted), and the format gate that lets later layout changes roll. Run by both repositories' specs beside the main conformance.
 */
export function describeStreamUpgradeConformance(
  name: string,
  create: (settings: AggregatorSettings) => Promise<ConformanceSubject>,
): void {
  describe(`${name} (stream hash upgrade conformance)`, () => {
    const settings: AggregatorSettings = DEFAULT_AGGREGATOR_SETTINGS;
    let subject: ConformanceSubject;
    let repo: AggregateStateRepository;
    let f: EnrichedEventFactory;
    let offset: number;

    beforeEach(async () => {
      subject = await create(settings);
      repo = subject.repository;
      f = new EnrichedEventFactory('u');
      offset = 0;
    });
    afterEach(() => subject.close());

    const apply = (events: EnrichedEvent[]) =>
      new BatchApplier(new BatchFoldService(settings), repo).apply(
        TOPIC,
        0,
        events.map((event) => ({ offset: String(offset++), event })),
      );
    const read = async (): Promise<StreamState | null> => (await repo.readStreams(['old']))[0];
    const expectFormat2 = async (): Promise<void> => {
      const layout = await subject.readStreamLayout('old');
      expect(layout.version).toBe(PACKED_STREAM_VERSION);
      for (const field of HOT_FIELDS) expect(layout.fields).not.toContain(field);
    };

    it('reads a previous-version hash exactly and rewrites it in format 2 on its next batch', async () => {
      await subject.writeStreamHash('old', previousVersionHash(true));
      expect(await read()).toMatchObject({ ...OLD_STATE, live: true });
      // a chat at the stream's decay time: chat sums +1 (decay factor 1), the other sums bit for
      // bit; the viewers set is empty, so the chatter is the one viewer; the peak stays
      await apply([f.event('chat.message', T0 + 1_000, { userId: 'u1', streamId: 'old' })]);
      const rates = RATES.map((v, i) => (i < 3 ? v + 1 : v));
      const perMin = (i: number): number => (rates[i] * 60_000) / applySettingsOf(settings).taus[i % 3];
      const W = settings.scoreWeights;
      const velocity = perMin(21) - perMin(24);
      // the script's and the twin's expression, term by term (the same double)
      const score =
        W.viewers * 1 +
        W.chats * perMin(1) +
        W.bids * perMin(4) +
        W.uniqueBidders * perMin(7) +
        W.purchases * perMin(10) +
        W.gmv * perMin(13) +
        W.giveaways * perMin(16) +
        W.newViewers * perMin(19) +
        W.velocity * velocity;
      expect(await read()).toMatchObject({
        ...OLD_STATE,
        live: true,
        chats: 8,
        viewers: 1,
        rates,
        velocity,
        score,
      });
      await expectFormat2();
      // format 2 read back and rewritten: a heartbeat keeps every number
      const before = await read();
      await apply([f.event('stream.heartbeat', T0 + 1_000, { streamId: 'old' })]);
      expect(await read()).toEqual({ ...before, lastHeartbeatAt: T0 + 1_000 });
    });

    it('counts into a previous-version hash of an ended stream', async () => {
      await subject.writeStreamHash('old', {
        ...previousVersionHash(false),
        viewers: '0',
        velocity: '0',
        score: '0',
      });
      // at the stream's decay time: purchase and gmv sums +1 (1 EUR), the others bit for bit
      await apply([
        f.event('purchase.completed', T0 + 1_000, {
          userId: 'u1',
          streamId: 'old',
          amount: 1,
          currency: 'EUR',
        }),
      ]);
      expect(await read()).toMatchObject({
        ...OLD_STATE,
        live: false,
        purchases: 3,
        gmv: { EUR: 22345 },
        viewers: 0,
        velocity: 0,
        score: 0,
        rates: RATES.map((v, i) => (i >= 9 && i < 15 ? v + 1 : v)),
      });
      await expectFormat2();
    });

    it('expires a previous-version stream from its text lastActivityAt and zeroes its live numbers', async () => {
      await subject.writeStreamHash('old', previousVersionHash(true));
      const stale = expiredEventId('old', T0);
      await apply([f.event('stream.expired', T0 + 61_000, { streamId: 'old' }, stale)]);
      expect((await read())?.live).toBe(true);
      const id = expiredEventId('old', T0 + 1_000);
      await apply([f.event('stream.expired', T0 + 61_000, { streamId: 'old' }, id)]);
      // the expiries' event time moved the decay time (the sums decay: checked elsewhere)
      const { rates: _rates, ...numbers } = OLD_STATE;
      expect(await read()).toMatchObject({
        ...numbers,
        lastEventAt: T0 + 61_000,
        rt: T0 + 61_000,
        live: false,
        endReason: 'expired',
        endedAt: T0 + 61_000,
        viewers: 0,
        velocity: 0,
        score: 0,
      });
      await expectFormat2();
    });

    it('records its state format and refuses, before any write, state of a newer format', async () => {
      await apply([f.started('old', T0, 'seller-1', 'watches', 'en')]);
      expect(await subject.readStateFormat()).toBe(AGGREGATE_STATE_FORMAT);
      const before = await read();

      await subject.writeStateFormat(AGGREGATE_STATE_FORMAT + 1);
      const refused = apply([
        f.event('chat.message', T0 + 1_000, { userId: 'u1', streamId: 'old' }),
        f.started('new', T0 + 1_000, 'seller-2', 'watches', 'en'),
      ]);
      await expect(refused).rejects.toBeInstanceOf(NewerStateFormatError);
      expect(await read()).toEqual(before);
      expect((await repo.readStreams(['new']))[0]).toBeNull();
      expect(await repo.readProgress(TOPIC, 0)).toMatchObject({ offset: '0' });
      expect(await subject.readStateFormat()).toBe(AGGREGATE_STATE_FORMAT + 1);
    });
  });
}
