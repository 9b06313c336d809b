/**
 * Offline evaluation (LiveRec availability-aware next-watch protocol) of the built-in rankers.
 *
 * npm run evaluate -- --simulate --events 1000000 --seed 1 [--rankers pop,rep,embeddings]
 * npm run evaluate -- --log events.jsonl [--warmup 0.1] [--json]
 *
 * --warmup: share of the events (< 1) or a count of events observed before scoring starts.
 * Ablations of the embeddings ranker: --weights content,seller,audience (stream vector mix),
 * --seller-lr 0 (seller vectors stay at their seeded init: no co-engagement learning).
 */
import { EmbeddingModelOptions } from '../apps/embedding-writer/src/embedding-model/embedding-model.service';
import { EmbeddingsRanker } from '../apps/embedding-writer/src/evaluation/embeddings.ranker';
import { NowcastEvent } from '@app/contracts';
import { EvaluationReport, PopularityRanker, Ranker, RepeatRanker, evaluateRankers } from '@app/evaluation';
import { MarketplaceSimulator, readEventLog } from '@app/simulator';
import { parseArgs } from 'node:util';

function rankerFactories(weights?: string, sellerLr?: string): Record<string, () => Ranker> {
  const [content, seller, audience] = (weights ?? '').split(',').map(Number);
  const options: Partial<EmbeddingModelOptions> = {
    ...(weights ? { streamWeights: { content, seller, audience } } : {}),
    ...(sellerLr !== undefined ? { seller: { learningRate: Number(sellerLr) } } : {}),
  };
  return {
    pop: () => new PopularityRanker(),
    rep: () => new RepeatRanker(),
    embeddings: () => new EmbeddingsRanker(options),
  };
}

function* simulated(events: number, seed: number, rate: number): Generator<NowcastEvent> {
  const simulator = new MarketplaceSimulator({ seed, startTimeMs: Date.UTC(2026, 0, 1), ratePerSec: rate });
  for (let i = 0; i < events; i++) yield simulator.next();
}

async function fromLog(path: string): Promise<NowcastEvent[]> {
  const events: NowcastEvent[] = [];
  for await (const event of readEventLog(path)) events.push(event);
  // replay in event time: a stable sort keeps the log's order among equal timestamps
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.occurredAt - b.e.occurredAt || a.i - b.i)
    .map((x) => x.e);
}

function table(report: EvaluationReport): string {
  const pct = (x: number) => (x * 100).toFixed(2).padStart(6);
  const rows = report.rankers.map(
    (r) =>
      `${r.ranker.padEnd(11)} ${pct(r.all.hr1)} ${pct(r.all.hr5)} ${pct(r.all.hr10)} ${pct(r.all.ndcg10)}` +
      `   ${pct(r.repeat.hr10)} ${pct(r.new.hr10)}   ${pct(r.repeat.ndcg10)} ${pct(r.new.ndcg10)}`,
  );
  return [
    `events ${report.events}, scored ${report.points} (repeat ${report.rankers[0]?.repeat.count ?? 0}, new ${
      report.rankers[0]?.new.count ?? 0
    }), skipped ${report.skipped}, mean live candidates ${report.meanCandidates.toFixed(1)}`,
    'ranker        HR@1   HR@5  HR@10 NDCG@10   HR@10 rep/new   NDCG@10 rep/new (%)',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      log: { type: 'string' },
      simulate: { type: 'boolean', default: false },
      events: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '1' },
      rate: { type: 'string', default: '200' },
      rankers: { type: 'string', default: 'pop,rep,embeddings' },
      warmup: { type: 'string', default: '0.1' },
      json: { type: 'boolean', default: false },
      weights: { type: 'string' },
      'seller-lr': { type: 'string' },
    },
  });
  const RANKERS = rankerFactories(values.weights, values['seller-lr']);
  const names = values.rankers.split(',').map((n) => n.trim());
  for (const name of names)
    if (!RANKERS[name]) throw new Error(`unknown ranker ${name} (${Object.keys(RANKERS).join(', ')})`);
  const rankers = names.map((name) => RANKERS[name]());
  let events: Iterable<NowcastEvent>;
  let total: number;
  if (values.log) {
    const loaded = await fromLog(values.log);
    events = loaded;
    total = loaded.length;
  } else if (values.simulate) {
    total = Number(values.events);
    events = simulated(total, Number(values.seed), Number(values.rate));
  } else throw new Error('give --log <file.jsonl> or --simulate [--events N --seed S]');
  const warmup = Number(values.warmup);
  const started = Date.now();
  const report = await evaluateRankers(events, rankers, {
    warmupEvents: warmup < 1 ? Math.floor(total * warmup) : warmup,
    onProgress: (n) => process.stderr.write(`\r${n} / ${total} events`),
  });
  process.stderr.write(`\rdone in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  console.log(values.json ? JSON.stringify(report, null, 2) : table(report));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
