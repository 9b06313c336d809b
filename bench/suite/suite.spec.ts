import { quantile, round, summarize } from './percentiles';
import { RateSearchOptions, TrialResult, conclude, lagSeconds, nextRate, searchRate } from './rate-search';
import { parseSuiteOptions } from './suite-options';
import { emptyResult, formatTable, judge, leafPaths } from './suite-result';

const ISSUE_KEYS = [
  'mode',
  'machine.cpus',
  'machine.node',
  'ingest.eventsPerSec',
  'services.enricher',
  'services.aggregator',
  'services.writer',
  'dataLatency.p50',
  'dataLatency.p99',
  'dataLatency.atEventsPerSec',
  'endToGone.p50',
  'endToGone.p99',
  'feed.rps',
  'feed.p50',
  'feed.p99',
  'feed.concurrency',
  'feed.liveStreams',
  'feed.users',
  'recallAt10.min',
  'recallAt10.bySelectivity.0.001',
  'recallAt10.bySelectivity.0.01',
  'recallAt10.bySelectivity.0.1',
  'recallAt10.bySelectivity.1',
  ...['hr10', 'ndcg10', 'hr10New'].flatMap((m) => ['nowcast', 'pop', 'rep'].map((r) => `quality.${m}.${r}`)),
];

describe('percentiles', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 1)).toBe(100);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('summarises in ms and turns what JSON cannot hold into null', () => {
    expect(summarize([1, 2, 3, 4])).toEqual({ count: 4, p50: 2, p99: 4, max: 4 });
    expect(summarize([])).toEqual({ count: 0, p50: null, p99: null, max: null });
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(Infinity)).toBeNull();
  });
});

describe('suite result', () => {
  it('has exactly the keys of issue 10, every figure null until measured', () => {
    const result = emptyResult('mesh');
    // (JavaScript lists the integer-like key '1' first: compare as sets)
    expect([...leafPaths(result)].sort()).toEqual([...ISSUE_KEYS].sort());
    expect(result.machine.cpus).toBeGreaterThan(0);
    expect(result.machine.node).toBe(process.version);
    const leaves = (v: unknown): unknown[] =>
      v !== null && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [v];
    const { mode, machine, ...figures } = result;
    expect(mode).toBe('mesh');
    expect(machine.cpus).toBeGreaterThan(0);
    expect(leaves(figures).every((v) => v === null)).toBe(true);
  });

  it('judges each figure against its target', () => {
    const r = emptyResult('mesh');
    r.ingest.eventsPerSec = 25_000;
    r.services.enricher = 29_000;
    r.dataLatency.p99 = 51;
    r.endToGone.p99 = 80;
    r.quality.hr10 = { nowcast: 0.5, pop: 0.3, rep: 0.45 };
    r.quality.hr10New = { nowcast: 0.2, pop: 0.25, rep: 0.1 };
    const pass = Object.fromEntries(judge(r).map((row) => [row.figure, row.pass]));
    expect(pass['ingest.eventsPerSec']).toBe(true);
    expect(pass['services.enricher']).toBe(false);
    expect(pass['services.writer']).toBeNull();
    expect(pass['dataLatency.p99']).toBe(false);
    expect(pass['endToGone.p99']).toBe(true);
    expect(pass['quality.hr10']).toBe(true);
    expect(pass['quality.hr10New']).toBe(false);
    expect(formatTable(judge(r), true)).toMatch(/services\.enricher\s+29,000\s+>= 30,000 ev\/s\s+FAIL/);
  });
});

const options: RateSearchOptions = {
  startRate: 5_000,
  maxRate: 80_000,
  minRate: 500,
  growth: 2,
  tolerance: 0.1,
  maxTrials: 10,
  generatorShare: 0.7,
};
/** A pipeline that sustains `capacity` events/s and a generator that reaches `generator`. */
const pipeline =
  (capacity: number, generator = Infinity) =>
  (rate: number): Promise<TrialResult> => {
    const achievedRate = Math.min(rate, generator);
    return Promise.resolve({ targetRate: rate, achievedRate, maxLagSec: 0, pass: achievedRate <= capacity });
  };

describe('rate search', () => {
  it('ramps up, then bisects to within the tolerance below the capacity', async () => {
    const result = await searchRate(pipeline(27_000), options);
    expect(result.trials.map((t) => t.targetRate).slice(0, 4)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(result.best!.achievedRate).toBeLessThanOrEqual(27_000);
    expect(result.best!.achievedRate).toBeGreaterThan(27_000 / 1.1);
    expect(result.limitedBy).toBe('pipeline');
  });

  it('ramps down when the first rate fails, and reports none when nothing passes', async () => {
    expect((await searchRate(pipeline(1_800), options)).best!.achievedRate).toBeGreaterThan(1_250);
    const none = await searchRate(pipeline(100), options);
    expect(none.best).toBeNull();
    expect(none.limitedBy).toBe('none-passed');
  });

  it('stops at the generator, the maximum rate or the trial budget', async () => {
    const generatorBound = await searchRate(pipeline(100_000, 12_000), options);
    expect(generatorBound.limitedBy).toBe('generator');
    expect(generatorBound.best!.achievedRate).toBe(12_000);
    expect((await searchRate(pipeline(1e9), options)).limitedBy).toBe('max-rate');
    const two = await searchRate(pipeline(1e9), { ...options, maxTrials: 2 });
    expect(two.trials).toHaveLength(2);
    expect(two.limitedBy).toBe('trials');
    expect(nextRate([], options)).toBe(5_000);
    expect(conclude([], options).best).toBeNull();
  });
});

describe('lagSeconds', () => {
  // 1,000 messages per second appended from t=0
  const history = [0, 1_000, 2_000, 3_000].map((atMs) => ({ atMs, highWatermark: atMs }));

  it('is the age of the oldest uncommitted message', () => {
    expect(lagSeconds(history, 3_000, 3_000)).toBe(0); // caught up
    expect(lagSeconds(history, 1_500, 3_000)).toBeCloseTo(1.499, 3); // message 1,500 appended at ~1.5 s
    expect(lagSeconds(history, 2_999, 3_000)).toBeCloseTo(0, 3);
    expect(lagSeconds([], 0, 1_000)).toBe(0);
  });
});

describe('suite options', () => {
  it('defaults to a full mesh run and shortens everything with --quick', () => {
    const full = parseSuiteOptions([]);
    expect(full).toMatchObject({ mode: 'mesh', quick: false, trialSec: 60, qualityEvents: 1_000_000 });
    const quick = parseSuiteOptions(['--quick', '--mode', 'embedded', '--out', 'x.json']);
    expect(quick).toMatchObject({ mode: 'embedded', quick: true, trialSec: 15, out: 'x.json' });
    expect(quick.qualityEvents).toBeLessThan(1_000_000);
    expect(parseSuiteOptions([], () => true).feedGenerator).toBe('wrk');
    expect(parseSuiteOptions([], () => false).feedGenerator).toBe('autocannon');
    expect(parseSuiteOptions(['--feed-generator', 'autocannon'], () => true).feedGenerator).toBe(
      'autocannon',
    );
  });

  it('passes --env settings to every service (A/B runs), none by default', () => {
    expect(parseSuiteOptions([]).env).toEqual({});
    expect(parseSuiteOptions(['--env', 'ENRICHER_PARTITIONS_CONCURRENTLY=6,NODE_OPTIONS=--a=b']).env).toEqual(
      {
        ENRICHER_PARTITIONS_CONCURRENTLY: '6',
        NODE_OPTIONS: '--a=b',
      },
    );
  });

  it('refuses what it does not know', () => {
    expect(() => parseSuiteOptions(['--mode', 'cluster'])).toThrow(/--mode/);
    expect(() => parseSuiteOptions(['--fast'])).toThrow(/unknown option/);
    expect(() => parseSuiteOptions(['--only', 'ingest,nope'])).toThrow(/unknown section/);
    expect(() => parseSuiteOptions(['--trial-sec', '-1'])).toThrow(/positive/);
    expect(() => parseSuiteOptions(['--feed-generator', 'ab'])).toThrow(/--feed-generator/);
  });
});
