import { lastValueFrom } from 'rxjs';
import { InProcessBus } from './in-process/in-process.bus';
import { InProcessProducer } from './in-process/in-process.producer';
import { KafkaBatchClient } from './kafka-batch.client';

describe('KafkaBatchClient', () => {
  it('emits one message or an array of them through the shared producer', async () => {
    const bus = new InProcessBus({ defaultPartitions: 1 });
    const client = new KafkaBatchClient({ producer: new InProcessProducer(bus) });
    await lastValueFrom(client.emit('t', { key: 'k', value: 'one' }), { defaultValue: undefined });
    await lastValueFrom(
      client.emit('t', [
        { key: 'k', value: 'two', headers: { h: 'x' } },
        { key: null, value: Buffer.from('three') },
      ]),
      { defaultValue: undefined },
    );
    const log = bus.read('t', 0, 0, 10);
    expect(log.map((m) => m.value?.toString())).toEqual(['one', 'two', 'three']);
    expect(log[1].headers).toEqual({ h: 'x' });
    await client.close();
  });

  it('rejects payloads that are not messages, and request/response', async () => {
    const client = new KafkaBatchClient({ producer: new InProcessProducer(new InProcessBus()) });
    await expect(lastValueFrom(client.emit('t', { eventId: 'e1' }))).rejects.toThrow(/expects \{ key, value/);
    await expect(lastValueFrom(client.send('t', { key: null, value: 'x' }))).rejects.toThrow(/emit\(\) only/);
  });
});
