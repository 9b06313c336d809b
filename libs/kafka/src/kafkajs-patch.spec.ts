import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Message, PartitionMetadata, Partitioners } from 'kafkajs';

/**
 * patches/kafkajs+2.2.4.patch (applied by `npm install`/`npm ci` through patch-package) takes the
 * per-message waste out of kafkajs' produce path: an object spread per record, a zero-filled
 * unpooled Buffer per record and per varint, and a copy of the partition's array per message
 * while grouping (O(n^2)). It must not change a single byte on the wire: the digest below was taken
 * from the UNPATCHED kafkajs 2.2.4 for the same request.
 */
const load = createRequire(require.resolve('kafkajs'));

type Group = (args: {
  topic: string;
  partitionMetadata: Pick<PartitionMetadata, 'partitionId' | 'leader'>[];
  messages: Message[];
  partitioner: ReturnType<typeof Partitioners.DefaultPartitioner>;
}) => Record<string, Message[]>;
type ProduceV3 = (args: Record<string, unknown>) => { encode(): Promise<{ buffer: Buffer }> };
interface LongModule {
  fromInt(value: number): unknown;
}

const group = load('./src/producer/groupMessagesPerPartition.js') as Group;
const produceV3 = load('./src/protocol/requests/produce/v3/request.js') as ProduceV3;
const Long = load('./src/utils/long.js') as LongModule;

describe('kafkajs produce-path patch', () => {
  it('is applied (npm ci runs patch-package as postinstall)', () => {
    for (const file of ['producer/groupMessagesPerPartition.js', 'protocol/encoder.js']) {
      expect(readFileSync(load.resolve(`./src/${file}`), 'utf8')).toContain('patched (nowcast)');
    }
  });

  it('groups and encodes a produce request byte for byte like unpatched kafkajs 2.2.4', async () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_764_150_000_000);
    try {
      const messages: Message[] = [
        { key: 'stream-1', value: '{"a":1}' },
        {
          key: 'stream-2',
          value: 'ü'.repeat(70),
          headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        },
        { key: Buffer.from('user-9'), value: null, timestamp: '1764150000123' },
        { key: 'stream-1', value: 'x'.repeat(600), partition: 2, headers: { multi: ['a', 'b'] } },
        { key: 'stream-3', value: Buffer.from('bytes') },
      ];
      const perPartition = group({
        topic: 't',
        partitionMetadata: [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0 })),
        messages,
        partitioner: Partitioners.DefaultPartitioner(),
      });
      expect(
        Object.fromEntries(
          Object.entries(perPartition).map(([p, list]) => [p, list.map((m) => messages.indexOf(m))]),
        ),
      ).toEqual({ 1: [0, 4], 2: [1, 2, 3] });
      const request = produceV3({
        acks: -1,
        timeout: 30_000,
        transactionalId: 'tx',
        producerId: Long.fromInt(5),
        producerEpoch: 3,
        topicData: [
          {
            topic: 't',
            partitions: Object.keys(perPartition).map((p) => ({
              partition: Number(p),
              firstSequence: 7,
              messages: perPartition[p],
            })),
          },
        ],
      });
      const { buffer } = await request.encode();
      expect(buffer.length).toBe(1074);
      expect(createHash('sha256').update(buffer).digest('hex')).toBe(
        '17f82786e64254ee21499c79fa30e382d2c2a6dd9d039279e3729e706b5604a7',
      );
    } finally {
      now.mockRestore();
    }
  });
});
