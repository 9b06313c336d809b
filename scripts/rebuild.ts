import { rebuildAggregator } from './rebuild/aggregator';
import { rebuildEnricher } from './rebuild/enricher';

/**
 * `npm run rebuild -- <service>`: rebuilds a service's Redis state from Kafka after it was lost.
 */
const REBUILDERS: Record<string, (env: NodeJS.ProcessEnv) => Promise<void>> = {
  enricher: rebuildEnricher,
  aggregator: rebuildAggregator,
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const rebuild = name ? REBUILDERS[name] : undefined;
  if (!rebuild) {
    console.error(`usage: npm run rebuild -- <${Object.keys(REBUILDERS).join('|')}>`);
    process.exitCode = 2;
    return;
  }
  await rebuild(process.env);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('rebuild failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
