import { loadavg } from 'node:os';
import { round } from './percentiles';
import { SectionContext, pick } from './section';

interface Bench {
  run(args: string[]): Promise<Record<string, unknown>>;
}

/**
 * services.*: each service alone against the real broker and Redis, by the services' own benches
 * (bench/enricher|aggregator|writer.bench.ts, owned by their teams): N events pre-produced, then
 * consumed as fast as the service goes; events/s, median of the runs. Mesh mode only: these
 * measure the Kafka consumers, which nowcast (one process, in-process bus) does not have.
 */
export async function servicesSection(ctx: SectionContext): Promise<void> {
  const o = ctx.options;
  if (o.mode !== 'mesh') {
    ctx.notes.push('services: n/a in embedded mode (the per-service benches measure the Kafka consumers)');
    return;
  }
  const infra = ['--brokers', o.brokers.join(','), '--redis', o.redisUrl];
  const runs = o.quick ? '1' : '3';
  const plan: [name: 'enricher' | 'aggregator' | 'writer', args: string[]][] = [
    ['enricher', ['--events', o.quick ? '50000' : '200000', '--runs', runs]],
    ['aggregator', ['--events', o.quick ? '50000' : '300000', '--runs', runs]],
    [
      'writer',
      ['--events', o.quick ? '50000' : '300000', '--runs', runs, '--probes', o.quick ? '20' : '300'],
    ],
  ];
  const details: Record<string, unknown> = {};
  ctx.details.services = details;
  for (const [name, args] of plan) {
    ctx.progress(`${name} alone (${args.join(' ')})`);
    const started = Date.now();
    try {
      const bench = (await import(`../${name}.bench`)) as Bench;
      const figures = await bench.run([...infra, ...args]);
      ctx.result.services[name] = round(pick(figures, 'eventsPerSecMedian'), 0);
      details[name] = {
        args,
        wallSec: Math.round((Date.now() - started) / 1000),
        loadAverage1m: round(loadavg()[0]),
        figures,
      };
    } catch (error) {
      details[name] = { args, error: (error as Error).message };
      ctx.notes.push(`services.${name}: failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (o.quick) ctx.notes.push('services: 50k events, 1 run each (--quick)');
}
