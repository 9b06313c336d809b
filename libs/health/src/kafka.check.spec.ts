import { KafkaCheckAdmin, kafkaCheck } from './kafka.check';
import { KafkaCheckError } from './kafka-check.error';

/**
 * An admin that behaves like kafkajs' when its broker goes away after it connected: describeCluster
 * throws the TypeError of its broker pool's null result (observed against a stopped test broker).
 */
class FlakyAdmin implements KafkaCheckAdmin {
  static brokerUp = true;
  static connects = 0;
  connect(): Promise<void> {
    FlakyAdmin.connects++;
    if (FlakyAdmin.brokerUp) return Promise.resolve();
    return Promise.reject(
      Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), {
        name: 'KafkaJSNumberOfRetriesExceeded',
      }),
    );
  }
  describeCluster(): ReturnType<KafkaCheckAdmin['describeCluster']> {
    if (FlakyAdmin.brokerUp) {
      return Promise.resolve({
        brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9 }],
        controller: 1,
        clusterId: 'c',
      });
    }
    return Promise.reject(
      new TypeError("Cannot destructure property 'brokers' of '(intermediate value)' as it is null."),
    );
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
}

describe('kafkaCheck', () => {
  beforeEach(() => {
    FlakyAdmin.brokerUp = true;
    FlakyAdmin.connects = 0;
  });

  it('reports brokers and controller, reusing one admin', async () => {
    const check = kafkaCheck({ brokers: ['127.0.0.1:9'] }, 500, 'kafka', () => new FlakyAdmin());
    await expect(check.check()).resolves.toEqual({ brokers: 1, controller: 1 });
    await expect(check.check()).resolves.toEqual({ brokers: 1, controller: 1 });
    expect(FlakyAdmin.connects).toBe(1);
  });

  it('says which step failed against which brokers when the broker goes down', async () => {
    const check = kafkaCheck({ brokers: ['127.0.0.1:9'] }, 500, 'kafka', () => new FlakyAdmin());
    await check.check();
    FlakyAdmin.brokerUp = false;

    // the shared admin's request: not kafkajs' bare TypeError
    const first = check.check();
    await expect(first).rejects.toBeInstanceOf(KafkaCheckError);
    await expect(first).rejects.toThrow(
      'kafka describeCluster to 127.0.0.1:9 failed: no broker answered (connection to every known broker lost)',
    );
    // the admin was dropped: the next probe reconnects and names the connection error
    await expect(check.check()).rejects.toThrow(
      'kafka connect to 127.0.0.1:9 failed: Connection error: connect ECONNREFUSED 127.0.0.1:9 (KafkaJSNumberOfRetriesExceeded)',
    );
    expect(FlakyAdmin.connects).toBe(2);

    FlakyAdmin.brokerUp = true;
    await expect(check.check()).resolves.toEqual({ brokers: 1, controller: 1 });
  });
});
