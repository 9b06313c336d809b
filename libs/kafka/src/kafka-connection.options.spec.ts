import { KafkaClusterConfig, kafkaConnectionOf } from './kafka-connection.options';

describe('kafkaConnectionOf', () => {
  // as a validated config holds it: a frozen broker list, and fields that are not the connection's
  const cluster: KafkaClusterConfig & { groupInstanceId: string } = {
    brokers: Object.freeze(['b1:9092', 'b2:9092']),
    clientId: 'metrics-aggregator',
    ssl: true,
    sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'secret' },
    groupInstanceId: 'pod-0',
  };

  it('keeps only the connection fields, with a broker list kafkajs may mutate', () => {
    const options = kafkaConnectionOf(cluster);
    expect(options).toEqual({
      brokers: ['b1:9092', 'b2:9092'],
      clientId: 'metrics-aggregator',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'secret' },
    });
    expect(options.brokers).not.toBe(cluster.brokers);
    expect(Object.isFrozen(options.brokers)).toBe(false);
  });

  it('suffixes the client id of a second client of one service', () => {
    expect(kafkaConnectionOf(cluster, 'publisher').clientId).toBe('metrics-aggregator-publisher');
  });

  it('leaves SASL out when the cluster has none', () => {
    expect(kafkaConnectionOf({ brokers: ['b1:9092'], clientId: 'api', ssl: false }).sasl).toBeUndefined();
  });
});
