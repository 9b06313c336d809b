import { BatchingProducer } from '@app/kafka';
import { randomUUID } from 'node:crypto';
import {
  TopicCollector,
  eventually,
  isolatedEnricherEnv,
  startEnricher,
} from '../runtime/enricher-test.harness';
import { listDeadLetters, redriveDeadLetters } from './dead-letter.admin';

describe('dead letters: list and redrive', () => {
  it('lists dead letters with reasons and redrives the chosen originals after a fix', async () => {
    const env = isolatedEnricherEnv({ EVENT_MAX_BYTES: '1024' });
    const brokers = env.KAFKA_BROKERS.split(',');
    const strict = await startEnricher(env);
    const big = {
      eventId: randomUUID(),
      type: 'stream.started',
      schemaVersion: 1,
      occurredAt: Date.now(),
      data: {
        streamId: 's-big',
        sellerId: 'seller-1',
        title: 'x'.repeat(200),
        category: 'art',
        tags: Array(20).fill('t'.repeat(40)),
        language: 'en',
      },
    };
    const producer = new BatchingProducer({ brokers });
    const enriched = await TopicCollector.start(brokers, env.TOPIC_ENRICHED);
    try {
      await producer.send(env.TOPIC_RAW, [
        { key: 's-big', value: JSON.stringify(big), headers: { 'x-client': 'c1' } },
        { key: 's-x', value: 'not json' },
      ]);
      const options = { brokers, deadLetterTopic: env.TOPIC_DEAD_LETTER };
      await eventually(async () => (await listDeadLetters(options)).length >= 2, 30_000, 'dead letters');
      await strict.close();

      const all = await listDeadLetters(options);
      expect(all.map((e) => e.reason).sort()).toEqual(['not-json', 'too-large']);
      expect(await listDeadLetters(options, { type: 'stream.started' })).toHaveLength(1);

      const fixed = await startEnricher({ ...env, EVENT_MAX_BYTES: '65536' }); // the "fix": a larger cap
      try {
        const sent = await redriveDeadLetters(options, { reason: 'too-large' });
        expect(sent.map((e) => e.type)).toEqual(['stream.started']);
        await eventually(() => enriched.records.length >= 1, 30_000, 'redriven event enriched');
        const record = enriched.records[0];
        expect(JSON.parse(record.value!.toString())).toMatchObject({ eventId: big.eventId });
        expect(record.key?.toString()).toBe('s-big');
        expect((await listDeadLetters(options)).length).toBe(2); // not dead-lettered again
      } finally {
        await fixed.close();
      }
    } finally {
      await enriched.stop();
      await producer.close();
      await strict.close().catch(() => undefined);
    }
  });
});
