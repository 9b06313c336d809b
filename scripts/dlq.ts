import { defineEnvSchema, kafkaEnv, loadConfig, topicsEnv } from '@app/config';
import {
  DeadLetterEntry,
  DeadLetterFilter,
  listDeadLetters,
  parseDeadLetterFilter,
  parseSince,
  redriveDeadLetters,
} from '../apps/event-enricher/src/dead-letter/dead-letter.admin';

const USAGE = `usage:
  npm run dlq -- list    [--since 2h|ISO] [--type view.started] [--filter reason=too-large,...] [--json]
  npm run dlq -- redrive [--since ...] [--type ...] [--filter reason=...,offset=3|9,class=...] [--to topic] [--dry-run]
Reads TOPIC_DEAD_LETTER from the beginning with a throwaway consumer group (KAFKA_BROKERS, TOPIC_* from the env).
redrive re-produces the chosen originals (key, bytes, original headers) to the topic they came from (or --to).`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function show(entries: DeadLetterEntry[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(entries, null, 2));
    return;
  }
  for (const e of entries) {
    console.log(
      `${e.failedAt}  dlq@${e.partition}:${e.offset}  ${e.sourceTopic}[${e.sourcePartition}]@${e.sourceOffset}  ` +
        `${e.type ?? '-'}  ${e.reason}  ${e.message}`,
    );
  }
  console.log(`${entries.length} dead letter(s)`);
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command !== 'list' && command !== 'redrive') {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig(
    defineEnvSchema({ kafka: kafkaEnv({ clientId: 'nowcast-dlq' }), topics: topicsEnv() }),
    process.env,
  );
  const since = option(args, 'since');
  const type = option(args, 'type');
  const base: DeadLetterFilter = {
    ...(since ? { sinceMs: parseSince(since) } : {}),
    ...(type ? { type } : {}),
  };
  const filter = parseDeadLetterFilter(option(args, 'filter'), base);
  const options = {
    ...config.kafka,
    brokers: [...config.kafka.brokers],
    deadLetterTopic: config.topics.names.deadLetter,
  };
  if (command === 'list' || args.includes('--dry-run')) {
    show(await listDeadLetters(options, filter), args.includes('--json'));
    return;
  }
  const to = option(args, 'to');
  const sent = await redriveDeadLetters({ ...options, ...(to ? { targetTopic: to } : {}) }, filter);
  show(sent, args.includes('--json'));
  console.log(`redriven: ${sent.length}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('dlq failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
