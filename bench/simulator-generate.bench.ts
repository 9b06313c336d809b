// Simulator generation speed: events generated per second of CPU, alone and serialized to JSON
// (what a sink does), at a trickle-sized and at a benchmark-load world.
//   npm run bench -- simulator-generate [--events 1000000]
import { MarketplaceSimulator } from '@app/simulator';

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

function measure(ratePerSec: number, count: number, serialize: boolean): Record<string, number> {
  const rssBefore = process.memoryUsage().rss;
  const started = process.hrtime.bigint();
  const sim = new MarketplaceSimulator({ seed: 1, startTimeMs: 1_764_150_000_000, ratePerSec });
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const event = sim.next();
    if (serialize) bytes += JSON.stringify(event).length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = sim.stats();
  return {
    eventsPerCpuSec: Math.round(count / seconds),
    eventTimeRatePerSec: Math.round(count / ((stats.nowMs - sim.options.startTimeMs) / 1_000)),
    users: stats.users,
    sellers: stats.sellers,
    liveStreams: stats.liveStreams,
    viewers: stats.viewers,
    avgBytes: serialize ? Math.round(bytes / count) : 0,
    rssGrowthMb: Math.round((process.memoryUsage().rss - rssBefore) / 1e6),
  };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const count = arg(args, 'events', 1_000_000);
  await Promise.resolve();
  return {
    events: count,
    rate200: measure(200, count, false),
    rate200Json: measure(200, count, true),
    rate30000Json: measure(30_000, count, true),
  };
}
