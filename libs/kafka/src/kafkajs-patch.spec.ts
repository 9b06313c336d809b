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
  fromString(value: string): unknown;
}
interface DecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}
type RecordSpec = {
  offsetDelta: number;
  timestampDelta: unknown;
  key: string | null;
  value: string | null;
  headers?: Record<string, string | string[]>;
};
type RecordEncoder = (record: RecordSpec) => unknown;
type RecordBatchEncoder = (args: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
type RecordBatchDecoder = (decoder: unknown) => Promise<{ records: DecodedRecord[] }>;
type DecoderClass = new (buffer: Buffer) => unknown;
type BatchClass = new (
  topic: string,
  fetchedOffset: string,
  partitionData: Record<string, unknown>,
) => { messages: { offset: string }[] };

const group = load('./src/producer/groupMessagesPerPartition.js') as Group;
const produceV3 = load('./src/protocol/requests/produce/v3/request.js') as ProduceV3;
const Long = load('./src/utils/long.js') as LongModule;
const Record = load('./src/protocol/recordBatch/record/v0/index.js') as RecordEncoder;
const { RecordBatch } = load('./src/protocol/recordBatch/v0/index.js') as { RecordBatch: RecordBatchEncoder };
const decodeRecordBatch = load('./src/protocol/recordBatch/v0/decoder.js') as RecordBatchDecoder;
const Decoder = load('./src/protocol/decoder.js') as DecoderClass;
const Batch = load('./src/consumer/batch.js') as BatchClass;

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

/**
 * The consume path of the same patch: a record's offset and timestamp in Number arithmetic when
 * exact (< 2^53) instead of two Long parses per record, headers without an object spread each, and
 * the Batch's offset filter as Number comparisons. The oracle is BigInt arithmetic on the wire
 * values; the cases cover the Long fallbacks (offsets crossing 2^53, 64-bit timestamps, 8-byte
 * varlong deltas, negative deltas, repeated header keys).
 */
describe('kafkajs fetch-decode patch', () => {
  const cases: { firstOffset: string; firstTimestamp: string; deltas: (number | string)[] }[] = [
    {
      firstOffset: '12345',
      firstTimestamp: '1764150000000',
      deltas: [0, 5, -3, 2 ** 40, '1125899906842624'],
    },
    { firstOffset: '9007199254740990', firstTimestamp: '1764150000000', deltas: [0, 1, 2, 3, 4] },
    { firstOffset: '0', firstTimestamp: '4611686018427387904', deltas: [0, -1, 7, 1, 2] },
  ];

  it('is applied', () => {
    for (const file of ['consumer/batch.js', 'protocol/recordBatch/record/v0/decoder.js']) {
      expect(readFileSync(load.resolve(`./src/${file}`), 'utf8')).toContain('patched (nowcast)');
    }
  });

  it.each(cases)('decodes offsets, timestamps and headers exactly (first offset $firstOffset)', async (c) => {
    const headersOf = (i: number): Record<string, string | string[]> =>
      i === 1 ? { traceparent: 'tp', multi: ['a', 'b', 'c'] } : i === 4 ? { one: 'x' } : {};
    const specs: RecordSpec[] = c.deltas.map((delta, i) => ({
      offsetDelta: i,
      timestampDelta: typeof delta === 'string' ? Long.fromString(delta) : delta,
      key: i === 2 ? null : `k${i}`,
      value: i === 3 ? null : `{"i":${i}}`,
      headers: headersOf(i),
    }));
    const { buffer } = await RecordBatch({
      firstOffset: Long.fromString(c.firstOffset),
      firstTimestamp: Long.fromString(c.firstTimestamp),
      maxTimestamp: Long.fromString(c.firstTimestamp),
      lastOffsetDelta: specs.length - 1,
      records: specs.map((spec) => Record(spec)),
    });
    const { records } = await decodeRecordBatch(new Decoder(buffer));
    expect(records).toHaveLength(specs.length);
    records.forEach((record, i) => {
      expect(record.offset).toBe((BigInt(c.firstOffset) + BigInt(i)).toString());
      expect(record.timestamp).toBe((BigInt(c.firstTimestamp) + BigInt(c.deltas[i])).toString());
      expect(record.key?.toString() ?? null).toBe(specs[i].key);
      expect(record.value?.toString() ?? null).toBe(specs[i].value);
      const headers = Object.fromEntries(
        Object.entries(record.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
      );
      expect(headers).toEqual(specs[i].headers);
    });
  });

  it('keeps only messages at or after the fetched offset, exact beyond 2^53', () => {
    const offsets = ['9007199254740991', '9007199254740992', '9007199254740993', '9007199254740994'];
    const partitionData = (list: string[]) => ({
      partition: 0,
      highWatermark: '9007199254740995',
      abortedTransactions: [],
      messages: list.map((offset) => ({ offset, isControlRecord: false, batchContext: {} })),
    });
    const offsetsOf = (fetched: string, list: string[]) =>
      new Batch('t', fetched, partitionData(list)).messages.map((m) => m.offset);
    expect(offsetsOf('9007199254740993', offsets)).toEqual(offsets.slice(2));
    expect(offsetsOf('9007199254740992', offsets)).toEqual(offsets.slice(1));
    expect(offsetsOf('5', ['3', '4', '5', '6'])).toEqual(['5', '6']);
  });
});

type MetadataProtocol = (args: { version: string }) => (args: {
  topics: string[];
  allowAutoTopicCreation?: boolean;
  allTopics?: boolean;
}) => {
  request: { encode(): Promise<{ buffer: Buffer }> };
};

describe('kafkajs metadata patch (describeCluster asks for no topic)', () => {
  const metadata = load('./src/protocol/requests/metadata/index.js') as { protocol: MetadataProtocol };
  const encoded = async (version: string, args: { topics: string[]; allTopics?: boolean }) =>
    (await metadata.protocol({ version })(args).request.encode()).buffer.toString('hex');

  it('is applied', () => {
    const source = readFileSync(load.resolve('./src/admin/index.js'), 'utf8');
    expect(source).toContain('allTopics: false');
  });

  it('sends an empty topic list only when asked, every other request as unpatched kafkajs', async () => {
    for (const version of ['1', '2', '3']) {
      // unpatched: null (-1) = every topic, also for an empty list
      expect(await encoded(version, { topics: [] })).toBe('ffffffff');
      expect(await encoded(version, { topics: [], allTopics: false })).toBe('00000000');
      expect(await encoded(version, { topics: ['ab'], allTopics: false })).toBe('0000000100026162');
    }
    for (const version of ['4', '5', '6']) {
      expect(await encoded(version, { topics: [] })).toBe('ffffffff01');
      expect(await encoded(version, { topics: [], allTopics: false })).toBe('0000000001');
      expect(await encoded(version, { topics: ['ab'] })).toBe('000000010002616201');
    }
    // v0 has no null: an empty list is every topic there
    expect(await encoded('0', { topics: [], allTopics: false })).toBe('00000000');
  });
});

describe('kafkajs transaction-coordinator patch', () => {
  it('is applied', () => {
    const source = readFileSync(load.resolve('./src/producer/eosManager/index.js'), 'utf8');
    expect(source).toContain('withTransactionCoordinator');
  });
});

describe('kafkajs static membership patch (KIP-345)', () => {
  // behaviour: static-membership.int-spec.ts against the real broker
  it('is applied: the consumer passes its group instance id to JoinGroup, SyncGroup, Heartbeat, LeaveGroup', () => {
    const group = readFileSync(load.resolve('./src/consumer/consumerGroup.js'), 'utf8');
    expect(group.match(/groupInstanceId/g)?.length).toBeGreaterThanOrEqual(6);
    const broker = readFileSync(load.resolve('./src/broker/index.js'), 'utf8');
    for (const request of ['heartbeat', 'joinGroup', 'leaveGroup', 'syncGroup']) {
      expect(broker).toMatch(new RegExp(`async ${request}\\(\\{[^)]*groupInstanceId = null`));
    }
    const consumer = readFileSync(load.resolve('./src/consumer/index.js'), 'utf8');
    expect(consumer).toContain(
      'if (crashedGroup && groupInstanceId && isErrorRetriable) crashedGroup.memberId = null',
    );
  });
});
