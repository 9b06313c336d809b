import { Kafka, Producer, ProducerBatch, RecordMetadata, Transaction } from 'kafkajs';
import { ConsumerGroupMembership, GroupTransactions } from './group.transactions';

type OffsetsSent = Parameters<Transaction['sendOffsets']>[0];

/** One transaction as the broker would see it: what was sent, offered as offsets, and how it ended. */
class ScriptedTransaction implements Transaction {
  readonly batches: ProducerBatch[] = [];
  readonly offsets: OffsetsSent[] = [];
  ended: 'committed' | 'aborted' | null = null;

  constructor(private readonly offsetsError: Error | null) {}

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    this.batches.push(batch);
    return Promise.resolve([]);
  }
  send(): Promise<RecordMetadata[]> {
    return Promise.reject(new Error('not used'));
  }
  sendOffsets(offsets: OffsetsSent): Promise<void> {
    this.offsets.push(offsets);
    return this.offsetsError ? Promise.reject(this.offsetsError) : Promise.resolve();
  }
  commit(): Promise<void> {
    this.ended = 'committed';
    return Promise.resolve();
  }
  abort(): Promise<void> {
    this.ended = 'aborted';
    return Promise.resolve();
  }
  isActive(): boolean {
    return this.ended === null;
  }
}

/** A Kafka whose producers hand out ScriptedTransactions and count connects (each one fences). */
class ScriptedKafka {
  readonly transactions: ScriptedTransaction[] = [];
  readonly transactionalIds: string[] = [];
  connects = 0;
  offsetsError: Error | null = null;
  beginError: Error | null = null;

  producer(options: { transactionalId: string }): Producer {
    this.transactionalIds.push(options.transactionalId);
    return {
      connect: () => {
        this.connects += 1;
        return Promise.resolve();
      },
      disconnect: () => Promise.resolve(),
      transaction: () => {
        if (this.beginError) return Promise.reject(this.beginError);
        const transaction = new ScriptedTransaction(this.offsetsError);
        this.transactions.push(transaction);
        return Promise.resolve(transaction);
      },
    } as unknown as Producer;
  }
}

const MEMBER: ConsumerGroupMembership = { generationId: 7, memberId: 'm-1', groupInstanceId: 'enricher-0' };

function setUp(membership: ConsumerGroupMembership | null = MEMBER): {
  kafka: ScriptedKafka;
  transactions: GroupTransactions;
  committed: Map<string, string>;
  offsetReads: string[];
} {
  const kafka = new ScriptedKafka();
  const committed = new Map<string, string>();
  const offsetReads: string[] = [];
  const transactions = new GroupTransactions(
    kafka as unknown as Kafka,
    'group-a',
    { scope: 'group', transactionalIdPrefix: 'enricher', retry: { retries: 0 } },
    {
      groupInstanceId: 'enricher-0',
      membership: () => membership,
      fetchStableCommittedOffset: (topic, partition) => {
        offsetReads.push(`${topic}/${partition}`);
        return Promise.resolve(committed.get(`${topic}/${partition}`) ?? null);
      },
    },
  );
  return { kafka, transactions, committed, offsetReads };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupTransactions', () => {
  it('derives its one transactional id from the group instance id, and connects (fences) before any batch', async () => {
    const { kafka, transactions } = setUp();
    await transactions.prepare();
    expect(kafka.transactionalIds).toEqual(['enricher-enricher-0']);
    expect(kafka.connects).toBe(1);
  });

  it('puts batches handled at the same time in one transaction, with all their offsets and the generation', async () => {
    const { kafka, transactions } = setUp();
    const [a, b] = await Promise.all([
      transactions.runBatch('raw', 0, '10', '15', async (tx) => {
        tx.send('out', [{ key: 'a', value: '1' }]);
        await tick();
      }),
      transactions.runBatch('raw', 1, '3', '4', (tx) => {
        tx.send('out', [{ key: 'b', value: '2' }]);
        return Promise.resolve();
      }),
    ]);
    expect([a, b]).toEqual([{ committed: true }, { committed: true }]);
    expect(kafka.transactions).toHaveLength(1);
    const [transaction] = kafka.transactions;
    expect(transaction.ended).toBe('committed');
    expect(transaction.offsets).toEqual([
      {
        consumerGroupId: 'group-a',
        topics: [
          {
            topic: 'raw',
            partitions: [
              { partition: 1, offset: '4' },
              { partition: 0, offset: '15' },
            ],
          },
        ],
        consumerGroupMetadata: MEMBER,
      },
    ]);
    const sent = transaction.batches.flatMap((batch) => batch.topicMessages ?? []);
    expect(sent.flatMap((t) => t.messages.map((m) => String(m.value))).sort()).toEqual(['1', '2']);
  });

  it('starts a batch that arrives while a transaction commits in the next transaction', async () => {
    const { kafka, transactions } = setUp();
    const first = transactions.runBatch('raw', 0, '0', '1', () => Promise.resolve());
    await tick();
    await tick(); // the first round is closing now
    const second = transactions.runBatch('raw', 1, '0', '1', () => Promise.resolve());
    await Promise.all([first, second]);
    expect(kafka.transactions).toHaveLength(2);
    expect(kafka.transactions.map((t) => t.ended)).toEqual(['committed', 'committed']);
    expect(kafka.transactions.map((t) => t.offsets[0].topics[0].partitions[0].partition)).toEqual([0, 1]);
  });

  it('aborts the whole transaction when one batch fails: each batch learns why, nothing commits', async () => {
    const { kafka, transactions } = setUp();
    const failing = transactions.runBatch('raw', 0, '0', '5', (tx) => {
      tx.send('out', [{ key: null, value: 'lost' }]);
      return Promise.reject(new Error('handler broke'));
    });
    const innocent = transactions.runBatch('raw', 1, '0', '5', async () => {
      await tick();
    });
    await expect(failing).rejects.toThrow('handler broke');
    await expect(innocent).rejects.toThrow('another batch in it failed (Error: handler broke)');
    expect(kafka.transactions).toHaveLength(1);
    expect(kafka.transactions[0].ended).toBe('aborted');
    expect(kafka.transactions[0].offsets).toEqual([]);
  });

  it('aborts when the group refuses the offsets (a member the group has moved on from)', async () => {
    const { kafka, transactions } = setUp();
    kafka.offsetsError = Object.assign(new Error('The generation is not current'), {
      type: 'ILLEGAL_GENERATION',
    });
    await expect(transactions.runBatch('raw', 0, '0', '5', () => Promise.resolve())).rejects.toThrow(
      'The generation is not current',
    );
    expect(kafka.transactions[0].ended).toBe('aborted');
  });

  it('does not commit offsets while it is not a group member', async () => {
    const { kafka, transactions } = setUp(null);
    await expect(transactions.runBatch('raw', 0, '0', '5', () => Promise.resolve())).rejects.toThrow(
      'Not a member of the consumer group',
    );
    expect(kafka.transactions[0].ended).toBe('aborted');
  });

  it('replaces a producer that cannot begin a transaction (fenced), and the next one fences in turn', async () => {
    const { kafka, transactions } = setUp();
    kafka.beginError = new Error('fenced');
    await expect(transactions.runBatch('raw', 0, '0', '5', () => Promise.resolve())).rejects.toThrow(
      'fenced',
    );
    kafka.beginError = null;
    await expect(transactions.runBatch('raw', 0, '0', '5', () => Promise.resolve())).resolves.toEqual({
      committed: true,
    });
    expect(kafka.connects).toBe(2);
  });

  it('refuses sends from a batch whose work has ended', async () => {
    const { transactions } = setUp();
    let late: (() => void) | null = null;
    await transactions.runBatch('raw', 0, '0', '5', (tx) => {
      late = () => tx.send('out', [{ key: null, value: 'late' }]);
      return Promise.resolve();
    });
    expect(() => late?.()).toThrow('This batch has ended');
  });

  it('checks each partition against the committed offset before its first batch, and again after a (re)join', async () => {
    const { kafka, transactions, committed, offsetReads } = setUp();
    await transactions.runBatch('raw', 0, '0', '5', () => Promise.resolve());
    await transactions.runBatch('raw', 0, '5', '9', () => Promise.resolve());
    expect(offsetReads).toEqual(['raw/0']);

    // Lost and got back: another member committed up to 40 meanwhile; the stale position is skipped.
    await transactions.retainOnly();
    committed.set('raw/0', '40');
    await expect(transactions.runBatch('raw', 0, '9', '12', () => Promise.resolve())).resolves.toEqual({
      committed: false,
      resumeAt: '40',
    });
    expect(kafka.transactions).toHaveLength(2);
    await transactions.runBatch('raw', 0, '40', '41', () => Promise.resolve());
    expect(offsetReads).toEqual(['raw/0', 'raw/0', 'raw/0']);
  });

  it('checks a partition again after its transaction aborted (the group may have moved it meanwhile)', async () => {
    const { kafka, transactions, committed, offsetReads } = setUp();
    kafka.offsetsError = Object.assign(new Error('stale'), { type: 'ILLEGAL_GENERATION' });
    await expect(transactions.runBatch('raw', 0, '0', '5', () => Promise.resolve())).rejects.toThrow('stale');
    kafka.offsetsError = null;
    committed.set('raw/0', '5');
    await expect(transactions.runBatch('raw', 0, '0', '5', () => Promise.resolve())).resolves.toEqual({
      committed: false,
      resumeAt: '5',
    });
    expect(offsetReads).toEqual(['raw/0', 'raw/0']);
  });

  it('initialises a replaced producer as soon as the group is rejoined, not at the next batch', async () => {
    const { kafka, transactions } = setUp();
    kafka.beginError = new Error('broker gone');
    await expect(transactions.runBatch('raw', 0, '0', '5', () => Promise.resolve())).rejects.toThrow();
    expect(kafka.connects).toBe(1);
    kafka.beginError = null;
    await transactions.retainOnly();
    await tick();
    expect(kafka.connects).toBe(2); // its InitProducerId aborts what the old one left open
    await transactions.retainOnly();
    await tick();
    expect(kafka.connects).toBe(2);
  });
});
