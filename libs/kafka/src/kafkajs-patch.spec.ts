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

/**
 * KIP-447 (exactly-once with consumer-group fencing): TxnOffsetCommit v3 carries the consumer group's
 * generation, member and group instance id, so the group coordinator rejects the offsets of a
 * consumer the group has moved on from; OffsetFetch v7 asks for stable offsets only. Behaviour
 * against the real broker: kafkajs-patch.int-spec.ts.
 */
type RequestFactory = (args: Record<string, unknown>) => {
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
};
interface ResponseCodec<T> {
  decode(raw: Buffer): Promise<T>;
  parse(data: T): Promise<T>;
}
interface EncoderInstance {
  buffer: Buffer;
  writeInt8(v: number): EncoderInstance;
  writeInt16(v: number): EncoderInstance;
  writeInt32(v: number): EncoderInstance;
  writeInt64(v: string | number): EncoderInstance;
  writeUVarInt(v: number): EncoderInstance;
  writeUVarIntString(v: string | null): EncoderInstance;
  writeUVarIntBytes(v?: Buffer | string | null): EncoderInstance;
  writeUVarIntArray(v: EncoderInstance[] | null): EncoderInstance;
}
type EncoderClass = new () => EncoderInstance;
interface TxnOffsetCommitResponse {
  throttleTime: number;
  clientSideThrottleTime: number;
  topics: { topic: string; partitions: { partition: number; errorCode: number }[] }[];
}
interface OffsetFetchResponse {
  throttleTime: number;
  clientSideThrottleTime: number;
  errorCode: number;
  responses: {
    topic: string;
    partitions: { partition: number; offset: string; metadata: string | null; errorCode: number }[];
  }[];
}
type ProtocolDefinition = {
  versions: string[];
  protocol(args: { version: number | string }): (args: Record<string, unknown>) => {
    request: { apiVersion: number };
  };
};
type Lookup = (versions: Record<number, { minVersion: number; maxVersion: number }>) => (
  apiKey: number,
  definition: ProtocolDefinition,
) => (args: Record<string, unknown>) => {
  request: { apiVersion: number };
};

describe('kafkajs KIP-447 patch: TxnOffsetCommit v3 and OffsetFetch v7', () => {
  const Encoder = load('./src/protocol/encoder.js') as EncoderClass;
  const txnOffsetCommitV3 = load('./src/protocol/requests/txnOffsetCommit/v3/request.js') as RequestFactory;
  const txnOffsetCommitV3Response = load(
    './src/protocol/requests/txnOffsetCommit/v3/response.js',
  ) as ResponseCodec<TxnOffsetCommitResponse>;
  const offsetFetchV7 = load('./src/protocol/requests/offsetFetch/v7/request.js') as RequestFactory;
  const offsetFetchV7Response = load(
    './src/protocol/requests/offsetFetch/v7/response.js',
  ) as ResponseCodec<OffsetFetchResponse>;
  const hex = async (request: ReturnType<RequestFactory>) => (await request.encode()).buffer.toString('hex');
  /** a tagged field (tag 3, 2 bytes) a newer broker may add: must be skipped */
  const withTag = (encoder: EncoderInstance) =>
    encoder
      .writeUVarInt(1)
      .writeUVarInt(3)
      .writeUVarIntBytes(Buffer.from([0xab, 0xcd]));

  it('is registered: the broker picks TxnOffsetCommit v3 and OffsetFetch v7', () => {
    const requests = load('./src/protocol/requests/index.js') as {
      lookup: Lookup;
      requests: { TxnOffsetCommit: ProtocolDefinition; OffsetFetch: ProtocolDefinition };
    };
    const apiKeys = load('./src/protocol/requests/apiKeys.js') as Record<string, number>;
    const { TxnOffsetCommit, OffsetFetch } = requests.requests;
    expect(TxnOffsetCommit.versions).toEqual(['0', '1', '3']);
    expect(OffsetFetch.versions).toEqual(['1', '2', '3', '4', '7']);
    const versionFor = (apiName: 'TxnOffsetCommit' | 'OffsetFetch', maxVersion: number) =>
      requests.lookup({ [apiKeys[apiName]]: { minVersion: 0, maxVersion } })(
        apiKeys[apiName],
        requests.requests[apiName],
      )({ groupId: 'g', topics: [], transactionalId: 'tx', producerId: 1, producerEpoch: 0 }).request
        .apiVersion;
    // Kafka 4.1: TxnOffsetCommit 0-5, OffsetFetch 1-9
    expect(versionFor('TxnOffsetCommit', 5)).toBe(3);
    expect(versionFor('OffsetFetch', 9)).toBe(7);
    // a broker whose highest version falls into the gap gets the next lower one
    expect(versionFor('TxnOffsetCommit', 2)).toBe(1);
    expect(versionFor('OffsetFetch', 6)).toBe(4);
    expect(versionFor('OffsetFetch', 3)).toBe(3);
  });

  it('encodes TxnOffsetCommit v3 with the generation, member and group instance id', async () => {
    const topics = [{ topic: 't', partitions: [{ partition: 1, offset: '42', metadata: 'm' }] }];
    const base = { transactionalId: 'tx', groupId: 'g', producerId: 5, producerEpoch: 3, topics };
    expect(
      await hex(txnOffsetCommitV3({ ...base, generationId: 7, memberId: 'mb', groupInstanceId: 'i' })),
    ).toBe(
      [
        '00', // request header tagged fields
        '037478', // transactional_id 'tx'
        '0267', // group_id 'g'
        '0000000000000005', // producer_id
        '0003', // producer_epoch
        '00000007', // generation_id
        '036d62', // member_id 'mb'
        '0269', // group_instance_id 'i'
        '02', // 1 topic
        '0274', // name 't'
        '02', // 1 partition
        '00000001', // partition_index
        '000000000000002a', // committed_offset 42
        'ffffffff', // committed_leader_epoch -1
        '026d', // committed_metadata 'm'
        '00', // partition tagged fields
        '00', // topic tagged fields
        '00', // request tagged fields
      ].join(''),
    );
    // without group metadata: generation -1, no member, no instance id (not checked by the broker);
    // no metadata = null
    const unchecked = await hex(
      txnOffsetCommitV3({ ...base, topics: [{ topic: 't', partitions: [{ partition: 1, offset: '42' }] }] }),
    );
    expect(unchecked).toBe(
      '00037478026700000000000000050003' +
        'ffffffff' +
        '01' +
        '00' +
        '020274020000000100000000000000' +
        '2affffffff00000000',
    );
  });

  it('decodes a TxnOffsetCommit v3 response and throws a partition error', async () => {
    const partition = (index: number, errorCode: number) =>
      new Encoder().writeInt32(index).writeInt16(errorCode).writeUVarIntBytes();
    const response = (errorCode: number) =>
      new Encoder()
        .writeUVarIntBytes() // response header tagged fields
        .writeInt32(12)
        .writeUVarIntArray([
          withTag(
            new Encoder()
              .writeUVarIntString('t')
              .writeUVarIntArray([partition(0, 0), partition(1, errorCode)]),
          ),
        ])
        .writeUVarIntBytes().buffer;
    const ok = await txnOffsetCommitV3Response.decode(response(0));
    expect(ok).toEqual({
      throttleTime: 0,
      clientSideThrottleTime: 12,
      topics: [
        {
          topic: 't',
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 1, errorCode: 0 },
          ],
        },
      ],
    });
    await expect(txnOffsetCommitV3Response.parse(ok)).resolves.toBe(ok);
    for (const [code, type] of [
      [22, 'ILLEGAL_GENERATION'],
      [25, 'UNKNOWN_MEMBER_ID'],
      [82, 'FENCED_INSTANCE_ID'],
    ] as const) {
      const decoded = await txnOffsetCommitV3Response.decode(response(code));
      await expect(txnOffsetCommitV3Response.parse(decoded)).rejects.toMatchObject({
        type,
        retriable: false,
      });
    }
  });

  it('encodes OffsetFetch v7 with require_stable; no topic = every topic of the group (null)', async () => {
    const topics = [{ topic: 't', partitions: [{ partition: 0 }, { partition: 2 }] }];
    expect(await hex(offsetFetchV7({ groupId: 'g', topics, requireStable: true }))).toBe(
      ['00', '0267', '02', '0274', '03', '00000000', '00000002', '00', '01', '00'].join(''),
    );
    expect(await hex(offsetFetchV7({ groupId: 'g', topics }))).toMatch(/0000$/); // require_stable false
    expect(await hex(offsetFetchV7({ groupId: 'g', topics: [] }))).toBe('0002670000' + '00');
    expect(await hex(offsetFetchV7({ groupId: 'g', topics: null }))).toBe('0002670000' + '00');
  });

  it('decodes an OffsetFetch v7 response to the shape of v4 and throws its errors', async () => {
    const partition = (index: number, offset: string, metadata: string | null, errorCode: number) =>
      new Encoder()
        .writeInt32(index)
        .writeInt64(offset)
        .writeInt32(4) // committed_leader_epoch
        .writeUVarIntString(metadata)
        .writeInt16(errorCode);
    const response = (errorCode: number, partitionError: number) =>
      new Encoder()
        .writeUVarIntBytes()
        .writeInt32(0)
        .writeUVarIntArray([
          new Encoder()
            .writeUVarIntString('t')
            .writeUVarIntArray([
              withTag(partition(0, '9007199254740993', '', 0)),
              partition(1, '-1', null, partitionError).writeUVarIntBytes(),
            ])
            .writeUVarIntBytes(),
        ])
        .writeInt16(errorCode)
        .writeUVarIntBytes().buffer;
    const ok = await offsetFetchV7Response.decode(response(0, 0));
    expect(ok).toEqual({
      throttleTime: 0,
      clientSideThrottleTime: 0,
      errorCode: 0,
      responses: [
        {
          topic: 't',
          partitions: [
            { partition: 0, offset: '9007199254740993', metadata: '', errorCode: 0 },
            { partition: 1, offset: '-1', metadata: null, errorCode: 0 },
          ],
        },
      ],
    });
    await expect(offsetFetchV7Response.parse(ok)).resolves.toBe(ok);
    // what Kafka 4.1 answers for a partition with offsets of an open transaction
    await expect(
      offsetFetchV7Response.parse(await offsetFetchV7Response.decode(response(0, 88))),
    ).rejects.toMatchObject({ type: 'UNSTABLE_OFFSET_COMMIT', retriable: true });
    await expect(
      offsetFetchV7Response.parse(await offsetFetchV7Response.decode(response(16, 0))),
    ).rejects.toMatchObject({ type: 'NOT_COORDINATOR_FOR_GROUP' });
  });

  it('passes requireStable, consumer group metadata and the join generation through', () => {
    const source = (file: string) => readFileSync(load.resolve(`./src/${file}`), 'utf8');
    expect(source('broker/index.js')).toContain('offsetFetch({ groupId, topics, requireStable })');
    expect(source('consumer/offsetManager/index.js')).toContain('requireStable: this.requireStableOffsets,');
    // a consumer asks for stable offsets when it reads committed (as the Java consumer), unless told not to
    expect(source('consumer/index.js')).toContain(
      'requireStableOffsets = isolationLevel === ISOLATION_LEVEL.READ_COMMITTED,',
    );
    expect(source('consumer/consumerGroup.js')).toContain('requireStableOffsets: this.requireStableOffsets,');
    expect(source('admin/index.js')).toContain(
      'coordinator.offsetFetch({ groupId, topics: topicsToFetch, requireStable })',
    );
    expect(source('producer/index.js')).toContain(
      'transactionalEosManager.sendOffsets({ consumerGroupId, topics, consumerGroupMetadata })',
    );
    expect(source('consumer/consumerGroup.js')).toContain('generationId: this.generationId,');
  });
});

type RetryUnstable = <T>(
  fetch: () => Promise<T>,
  options?: { initialRetryTime?: number; maxRetryTime?: number; timeout?: number },
) => Promise<T>;

describe('kafkajs KIP-447 patch: stable offsets are waited for', () => {
  const retryUnstableOffsets = load('./src/utils/retryUnstableOffsets.js') as RetryUnstable;
  const { createErrorFromCode } = load('./src/protocol/error.js') as {
    createErrorFromCode(code: number): Error & { type: string };
  };
  const fast = { initialRetryTime: 1, maxRetryTime: 4, timeout: 200 };

  it('retries UNSTABLE_OFFSET_COMMIT until the offsets are stable', async () => {
    let calls = 0;
    const fetch = jest.fn(() => {
      calls += 1;
      return calls < 4 ? Promise.reject(createErrorFromCode(88)) : Promise.resolve('stable');
    });
    await expect(retryUnstableOffsets(fetch, fast)).resolves.toBe('stable');
    expect(fetch).toHaveBeenCalledTimes(4);
  });

  it('rethrows any other error at once, and UNSTABLE_OFFSET_COMMIT after the timeout', async () => {
    const other = jest.fn(() => Promise.reject(createErrorFromCode(16)));
    await expect(retryUnstableOffsets(other, fast)).rejects.toMatchObject({
      type: 'NOT_COORDINATOR_FOR_GROUP',
    });
    expect(other).toHaveBeenCalledTimes(1);
    const started = Date.now();
    const never = jest.fn(() => Promise.reject(createErrorFromCode(88)));
    await expect(retryUnstableOffsets(never, { ...fast, timeout: 50 })).rejects.toMatchObject({
      type: 'UNSTABLE_OFFSET_COMMIT',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(never.mock.calls.length).toBeGreaterThan(3);
  });
});

type EosManagerFactory = (args: Record<string, unknown>) => {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  sendOffsets(args: Record<string, unknown>): Promise<void>;
};

describe('kafkajs KIP-447 patch: a transaction sends the consumer group metadata', () => {
  const createEosManager = load('./src/producer/eosManager/index.js') as EosManagerFactory;
  const { createErrorFromCode } = load('./src/protocol/error.js') as {
    createErrorFromCode(code: number): Error & { type: string };
  };
  const noop = () => undefined;
  const logger = { debug: noop, info: noop, warn: noop, error: noop, namespace: () => logger };

  const lookups = jest.fn();
  async function transacting(
    txnOffsetCommit: jest.Mock,
    addOffsetsToTxn: jest.Mock = jest.fn(() => Promise.resolve({})),
  ) {
    lookups.mockClear();
    const broker = {
      isConnected: () => true,
      initProducerId: () => Promise.resolve({ producerId: '17', producerEpoch: 2 }),
      addOffsetsToTxn,
      txnOffsetCommit,
    };
    const eos = createEosManager({
      logger,
      cluster: {
        retry: { initialRetryTime: 1, maxRetryTime: 5, retries: 5 },
        refreshMetadataIfNecessary: () => Promise.resolve(),
        findGroupCoordinator: (args: { coordinatorType: number }) => {
          lookups(args.coordinatorType);
          return Promise.resolve(broker);
        },
      },
      transactional: true,
      transactionalId: 'tx',
    });
    await eos.initProducerId();
    eos.beginTransaction();
    return eos;
  }
  const topics = [{ topic: 't', partitions: [{ partition: 0, offset: '5' }] }];

  it('passes generation, member and group instance id; without them generation -1 and no member', async () => {
    const txnOffsetCommit = jest.fn(() => Promise.resolve({}));
    const eos = await transacting(txnOffsetCommit);
    await eos.sendOffsets({
      consumerGroupId: 'g',
      topics,
      consumerGroupMetadata: { generationId: 4, memberId: 'm-1', groupInstanceId: 'i-1' },
    });
    await eos.sendOffsets({ consumerGroupId: 'g', topics });
    expect(txnOffsetCommit.mock.calls).toEqual([
      [
        expect.objectContaining({
          groupId: 'g',
          generationId: 4,
          memberId: 'm-1',
          groupInstanceId: 'i-1',
          topics,
        }),
      ],
      [
        expect.objectContaining({
          groupId: 'g',
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics,
        }),
      ],
    ]);
  });

  it.each([
    [22, 'ILLEGAL_GENERATION'],
    [25, 'UNKNOWN_MEMBER_ID'],
    [82, 'FENCED_INSTANCE_ID'],
  ])('fails at once on error %d (%s), without retrying', async (code, type) => {
    const txnOffsetCommit = jest.fn(() => Promise.reject(createErrorFromCode(code)));
    const eos = await transacting(txnOffsetCommit);
    await expect(
      eos.sendOffsets({
        consumerGroupId: 'g',
        topics,
        consumerGroupMetadata: { generationId: 1, memberId: 'm' },
      }),
    ).rejects.toMatchObject({ type });
    expect(txnOffsetCommit).toHaveBeenCalledTimes(1);
  });

  it('retries AddOffsetsToTxn refused with CONCURRENT_TRANSACTIONS (right after the previous EndTxn)', async () => {
    let refusals = 2;
    const addOffsetsToTxn = jest.fn(() =>
      refusals-- > 0 ? Promise.reject(createErrorFromCode(51)) : Promise.resolve({}),
    );
    const txnOffsetCommit = jest.fn(() => Promise.resolve({}));
    const eos = await transacting(txnOffsetCommit, addOffsetsToTxn);
    await eos.sendOffsets({ consumerGroupId: 'g', topics });
    expect(addOffsetsToTxn).toHaveBeenCalledTimes(3);
    expect(txnOffsetCommit).toHaveBeenCalledTimes(1);
  });

  it('retries TxnOffsetCommit on a stale group coordinator after a new lookup (kafkajs error names)', async () => {
    let refusals = 1;
    const txnOffsetCommit = jest.fn(() =>
      // NOT_COORDINATOR_FOR_GROUP
      refusals-- > 0 ? Promise.reject(createErrorFromCode(16)) : Promise.resolve({}),
    );
    const eos = await transacting(txnOffsetCommit);
    lookups.mockClear();
    await eos.sendOffsets({ consumerGroupId: 'g', topics });
    expect(txnOffsetCommit).toHaveBeenCalledTimes(2);
    // group coordinator (type 0): the cached one dropped after the failure, looked up again
    expect(lookups.mock.calls.filter(([type]) => type === 0)).toHaveLength(2);
  });
});
