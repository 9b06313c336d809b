import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { EventPattern, MessagePattern, RpcException } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { KafkaBatch } from '../batch.types';
import { KAFKA_BATCH_TRANSPORT } from '../batch-server.base';
import { requireTransaction } from '../batch-transaction.guard';
import { InProcessBatchServer, InProcessBatchServerOptions } from './in-process-batch.server';
import { InProcessBus } from './in-process.bus';
import { InProcessProducer } from './in-process.producer';

/** What the test handler does with each batch; swapped per test. */
type BatchBehaviour = (batch: KafkaBatch) => Promise<void> | void;

const IN = 'in.v1';
const OUT = 'out.v1';
let behaviour: BatchBehaviour = () => undefined;

@Controller()
class TestConsumer {
  @EventPattern(IN)
  async handle(batch: KafkaBatch): Promise<void> {
    await behaviour(batch);
  }
}

@Module({ controllers: [TestConsumer] })
class TestModule {}

/** A hybrid controller: a request/response handler (another transport's business) beside a pinned event handler. */
@Controller()
class HybridController {
  readonly pinned: string[] = [];

  @MessagePattern('rpc.lookup')
  lookup(): string {
    return 'not a topic';
  }

  @EventPattern('pinned.v1', KAFKA_BATCH_TRANSPORT)
  onPinned(batch: KafkaBatch): void {
    this.pinned.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
  }
}

const fastRetry = { initialMs: 2, maxMs: 10, multiplier: 2 };

async function startServer(options: InProcessBatchServerOptions): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
  const app = moduleRef.createNestMicroservice({
    strategy: new InProcessBatchServer(options),
    logger: false,
  });
  await app.listen();
  return app;
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const valueOf = (batch: KafkaBatch): string[] => batch.messages.map((m) => m.value?.toString() ?? '');

describe('InProcessBatchServer (in-process twin of the Kafka transport)', () => {
  let bus: InProcessBus;
  let producer: InProcessProducer;
  const apps: INestMicroservice[] = [];

  beforeEach(() => {
    bus = new InProcessBus({ defaultPartitions: 4 });
    producer = new InProcessProducer(bus);
    behaviour = () => undefined;
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('keeps per-key order and delivers every message', async () => {
    const seen = new Map<string, number[]>();
    behaviour = (batch) => {
      for (const message of batch.messages) {
        const key = message.key?.toString() ?? '';
        seen.set(key, [...(seen.get(key) ?? []), Number(message.value?.toString())]);
      }
    };
    apps.push(await startServer({ bus, groupId: 'g', maxBatchMessages: 7, retryBackoff: fastRetry }));
    for (let seq = 0; seq < 300; seq++) {
      await producer.send(IN, [{ key: `k${seq % 10}`, value: String(seq) }]);
    }
    await eventually(() => [...seen.values()].reduce((n, list) => n + list.length, 0) === 300);
    for (let k = 0; k < 10; k++) {
      const expected = Array.from({ length: 30 }, (_, i) => i * 10 + k);
      expect(seen.get(`k${k}`)).toEqual(expected);
    }
  });

  it('redelivers a batch whose handler throws and commits nothing meanwhile', async () => {
    let attempts = 0;
    const committedDuringFailures: (number | null)[] = [];
    const delivered: string[] = [];
    behaviour = (batch) => {
      attempts += 1;
      if (attempts <= 3) {
        committedDuringFailures.push(bus.committedOffset('g', IN, batch.partition));
        throw new Error('dependency down');
      }
      delivered.push(...valueOf(batch));
    };
    await producer.send(IN, [
      { key: 'same', value: 'a', partition: 1 },
      { key: 'same', value: 'b', partition: 1 },
    ]);
    apps.push(await startServer({ bus, groupId: 'g', retryBackoff: fastRetry }));
    await eventually(() => delivered.length === 2);
    expect(delivered).toEqual(['a', 'b']);
    expect(committedDuringFailures).toEqual([null, null, null]);
    expect(bus.committedOffset('g', IN, 1)).toBe(2);
  });

  it('applies transactional sends only when the handler succeeds', async () => {
    let failedOnce = false;
    behaviour = (batch) => {
      const transaction = requireTransaction(batch);
      transaction.send(
        OUT,
        batch.messages.map((m) => ({ key: m.key, value: `out-${m.value?.toString()}` })),
      );
      if (!failedOnce) {
        failedOnce = true;
        throw new Error('crash after sending');
      }
    };
    apps.push(await startServer({ bus, groupId: 'g', transactional: true, retryBackoff: fastRetry }));
    await producer.send(IN, [{ key: 'x', value: '1', partition: 0 }]);
    await eventually(() => bus.committedOffset('g', IN, 0) === 1);
    const out = [0, 1, 2, 3].flatMap((p) => bus.read(OUT, p, 0, 100)).map((m) => m.value?.toString());
    expect(out).toEqual(['out-1']);
  });

  it('gives every consumer group every message, with independent offsets', async () => {
    const byGroup = { a: [] as string[], b: [] as string[] };
    const moduleA = await startServerWithBehaviour('a', (batch) => void byGroup.a.push(...valueOf(batch)));
    apps.push(moduleA);
    for (let i = 0; i < 20; i++) await producer.send(IN, [{ key: `k${i}`, value: String(i) }]);
    await eventually(() => byGroup.a.length === 20);
    behaviour = (batch) => void byGroup.b.push(...valueOf(batch));
    apps.push(await startServer({ bus, groupId: 'b', retryBackoff: fastRetry }));
    await eventually(() => byGroup.b.length === 20);
    expect([...byGroup.b].sort()).toEqual([...byGroup.a].sort());
  });

  it('starts from the committed offset after a restart and at the end without history', async () => {
    const delivered: string[] = [];
    behaviour = (batch) => void delivered.push(...valueOf(batch));
    await producer.send(IN, [{ key: null, value: 'old', partition: 0 }]);
    const first = await startServer({ bus, groupId: 'g', retryBackoff: fastRetry });
    await eventually(() => delivered.length === 1);
    await first.close();
    await producer.send(IN, [{ key: null, value: 'new', partition: 0 }]);
    const second = await startServer({ bus, groupId: 'g', retryBackoff: fastRetry });
    await eventually(() => delivered.length === 2);
    expect(delivered).toEqual(['old', 'new']);
    await second.close();
    const late: string[] = [];
    behaviour = (batch) => void late.push(...valueOf(batch));
    apps.push(await startServer({ bus, groupId: 'late', fromBeginning: false, retryBackoff: fastRetry }));
    await producer.send(IN, [{ key: null, value: 'newest', partition: 0 }]);
    await eventually(() => late.length === 1);
    expect(late).toEqual(['newest']);
  });

  it('reads across the gaps a compacted topic leaves and commits past its last record', async () => {
    let now = 1_000_000;
    bus = new InProcessBus({ defaultPartitions: 1, clock: () => now });
    bus.createTopic(IN, 1, { compacted: true, retentionMs: 1_000 });
    producer = new InProcessProducer(bus);
    await producer.send(IN, [
      { key: 'a', value: 'a1' },
      { key: 'b', value: 'b1' },
      { key: 'a', value: 'a2' },
    ]);
    now += 2_000;
    await producer.send(IN, [{ key: 'c', value: 'c1' }]);
    const offsets: string[] = [];
    behaviour = (batch) => {
      offsets.push(...batch.messages.map((m) => `${m.offset}:${m.value?.toString() ?? ''}`));
    };
    apps.push(await startServer({ bus, groupId: 'g', retryBackoff: fastRetry }));
    await eventually(() => bus.committedOffset('g', IN, 0) === 4);
    expect(offsets).toEqual(['1:b1', '2:a2', '3:c1']);
  });

  it('allows one member per group and reports health', async () => {
    const server = new InProcessBatchServer({ bus, groupId: 'g', retryBackoff: fastRetry });
    const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
    const app = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    await app.listen();
    apps.push(app);
    const second = moduleRef.createNestMicroservice({
      strategy: new InProcessBatchServer({ bus, groupId: 'g' }),
      logger: false,
    });
    await expect(second.listen()).rejects.toThrow(/already has a member/);

    let fail = true;
    behaviour = () => {
      // Nest's RPC exception filter keeps the message of an RpcException (others become "Internal server error").
      if (fail) throw new RpcException('redis down');
    };
    await producer.send(IN, [{ key: 'k', value: 'v', partition: 2 }]);
    await eventually(() => server.health().failing.length === 1);
    expect(server.health().failing[0]).toMatchObject({ topic: IN, partition: 2, lastError: 'redis down' });
    fail = false;
    await eventually(() => server.health().failing.length === 0);
    const health = server.health();
    expect(health.joined).toBe(true);
    expect(health.lastBatchAt).not.toBeNull();
    expect(health.lag.find((l) => l.partition === 2)).toEqual({ topic: IN, partition: 2, lag: 0 });
    expect(health.assigned).toEqual([{ topic: IN, partitions: [0, 1, 2, 3] }]);
  });

  it("consumes only event handlers' topics, including handlers pinned to the batch transport", async () => {
    const server = new InProcessBatchServer({ bus, groupId: 'g', retryBackoff: fastRetry });
    const moduleRef = await Test.createTestingModule({ controllers: [HybridController] }).compile();
    const app = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    await app.listen();
    apps.push(app);
    expect(server.health().assigned.map((a) => a.topic)).toEqual(['pinned.v1']);
    await producer.send('pinned.v1', [{ key: 'k', value: 'hello' }]);
    const controller = app.get(HybridController);
    await eventually(() => controller.pinned.length === 1);
    expect(controller.pinned).toEqual(['hello']);
  });

  async function startServerWithBehaviour(
    groupId: string,
    handle: BatchBehaviour,
  ): Promise<INestMicroservice> {
    behaviour = handle;
    return startServer({ bus, groupId, retryBackoff: fastRetry });
  }
});
