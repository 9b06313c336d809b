import { RecordingProducer } from './recording.producer';

describe('RecordingProducer', () => {
  it('keeps each send call and each message, per topic', async () => {
    const producer = new RecordingProducer();
    await producer.send('a', [
      { key: 'k1', value: '{"n":1}' },
      { key: 'k2', value: Buffer.from('x') },
    ]);
    await producer.send('b', [{ key: null, value: '{"n":2}' }]);

    expect(producer.sends.map((s) => [s.topic, s.messages.length])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(producer.messages('a').map((m) => m.key)).toEqual(['k1', 'k2']);
    expect(producer.values('a')).toEqual([{ n: 1 }, null]);
    expect(producer.values('b')).toEqual([{ n: 2 }]);
    expect(producer.values('c')).toEqual([]);
  });
});
