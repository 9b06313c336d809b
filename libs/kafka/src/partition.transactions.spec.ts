import { ProducerBatch, RecordMetadata, Transaction } from 'kafkajs';
import { BufferedTransaction } from './partition.transactions';

/** Records what reaches the broker; the test decides whether a send fails. */
class RecordingTransaction implements Transaction {
  readonly sent: ProducerBatch[] = [];
  failNext = false;

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (this.failNext) return Promise.reject(new Error('broker said no'));
    this.sent.push(batch);
    return Promise.resolve([]);
  }
  send(): Promise<RecordMetadata[]> {
    return Promise.reject(new Error('not used'));
  }
  sendOffsets(): Promise<void> {
    return Promise.resolve();
  }
  commit(): Promise<void> {
    return Promise.resolve();
  }
  abort(): Promise<void> {
    return Promise.resolve();
  }
  isActive(): boolean {
    return true;
  }
}

const values = (batch: ProducerBatch): string[][] =>
  (batch.topicMessages ?? []).map((t) => t.messages.map((m) => `${t.topic}:${String(m.value)}`));

describe('BufferedTransaction', () => {
  it('holds sends back until finish, then sends them in one request', async () => {
    const kafka = new RecordingTransaction();
    const transaction = new BufferedTransaction(kafka, 100);
    transaction.send('a', [{ key: null, value: '1' }]);
    transaction.send('b', [{ key: 'k', value: '2' }]);
    transaction.send('a', [{ key: null, value: '3' }]);
    expect(kafka.sent).toEqual([]);
    await transaction.finish();
    expect(kafka.sent.map(values)).toEqual([[['a:1', 'a:3'], ['b:2']]]);
    expect(kafka.sent[0].acks).toBe(-1);
  });

  it("sends what was sent within one tick once the tick is over (overlapping the handler's next await)", async () => {
    const kafka = new RecordingTransaction();
    const transaction = new BufferedTransaction(kafka, 100);
    transaction.send('a', [{ key: null, value: '1' }]);
    transaction.send('a', [{ key: null, value: '2' }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(kafka.sent.map(values)).toEqual([[['a:1', 'a:2']]]);
    transaction.send('a', [{ key: null, value: '3' }]);
    await transaction.finish();
    expect(kafka.sent.map(values)).toEqual([[['a:1', 'a:2']], [['a:3']]]);
  });

  it('sends chunks of maxBufferedMessages into the open transaction, in order', async () => {
    const kafka = new RecordingTransaction();
    const transaction = new BufferedTransaction(kafka, 2);
    for (const value of ['1', '2', '3', '4', '5']) transaction.send('a', [{ key: null, value }]);
    await transaction.finish();
    expect(kafka.sent.map(values)).toEqual([[['a:1', 'a:2']], [['a:3', 'a:4']], [['a:5']]]);
  });

  it('surfaces a failed chunk at finish and refuses sends after the batch ended', async () => {
    const kafka = new RecordingTransaction();
    kafka.failNext = true;
    const transaction = new BufferedTransaction(kafka, 1);
    transaction.send('a', [{ key: null, value: '1' }]);
    await expect(transaction.finish()).rejects.toThrow('broker said no');
    expect(() => transaction.send('a', [{ key: null, value: '2' }])).toThrow(/has ended/);
  });

  it('sends nothing before the promise it follows (the offsets) resolved, then everything in order', async () => {
    const kafka = new RecordingTransaction();
    let offsetsDone: () => void = () => undefined;
    const offsets = new Promise<void>((resolve) => (offsetsDone = resolve));
    const transaction = new BufferedTransaction(kafka, 1, offsets);
    transaction.send('a', [{ key: null, value: '1' }]);
    transaction.send('a', [{ key: null, value: '2' }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(kafka.sent).toEqual([]);
    offsetsDone();
    await transaction.finish();
    expect(kafka.sent.map(values)).toEqual([[['a:1']], [['a:2']]]);
  });

  it('fails with the promise it follows and then sends nothing', async () => {
    const kafka = new RecordingTransaction();
    const transaction = new BufferedTransaction(kafka, 100, Promise.reject(new Error('offsets refused')));
    transaction.send('a', [{ key: null, value: '1' }]);
    await expect(transaction.finish()).rejects.toThrow('offsets refused');
    expect(kafka.sent).toEqual([]);
  });

  it('discard drops what is buffered', async () => {
    const kafka = new RecordingTransaction();
    const transaction = new BufferedTransaction(kafka, 100);
    transaction.send('a', [{ key: null, value: '1' }]);
    await transaction.discard();
    expect(kafka.sent).toEqual([]);
  });
});
