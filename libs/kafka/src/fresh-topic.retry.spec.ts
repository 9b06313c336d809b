import { isFreshTopicError, retryWhileTopicSettles } from './fresh-topic.retry';

const kafkaError = (type: string) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type });

describe('isFreshTopicError', () => {
  it('recognises the settling errors, also wrapped by kafkajs retries', () => {
    expect(isFreshTopicError(kafkaError('NOT_LEADER_FOR_PARTITION'))).toBe(true);
    expect(isFreshTopicError(kafkaError('LEADER_NOT_AVAILABLE'))).toBe(true);
    expect(isFreshTopicError(kafkaError('UNKNOWN_TOPIC_OR_PARTITION'))).toBe(true);
    expect(isFreshTopicError(Object.assign(new Error('x'), { name: 'KafkaJSBrokerNotFound' }))).toBe(true);
    const wrapped = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      originalError: kafkaError('UNKNOWN_TOPIC_OR_PARTITION'),
    });
    expect(isFreshTopicError(wrapped)).toBe(true);
  });

  it('rejects everything else', () => {
    expect(isFreshTopicError(kafkaError('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
    expect(isFreshTopicError(new Error('Connection error: ECONNREFUSED'))).toBe(false);
    expect(isFreshTopicError(undefined)).toBe(false);
  });
});

describe('retryWhileTopicSettles', () => {
  let clock = 0;
  const options = (timeoutMs: number) => ({
    timeoutMs,
    now: () => clock,
    sleep: (ms: number) => {
      clock += ms;
      return Promise.resolve();
    },
  });
  beforeEach(() => {
    clock = 0;
  });

  it('retries settling errors until the call succeeds', async () => {
    let calls = 0;
    const result = await retryWhileTopicSettles(() => {
      calls++;
      return calls < 4 ? Promise.reject(kafkaError('NOT_LEADER_FOR_PARTITION')) : Promise.resolve('ok');
    }, options(30_000));
    expect(result).toBe('ok');
    expect(calls).toBe(4);
  });

  it('rethrows any other error at once', async () => {
    let calls = 0;
    const denied = kafkaError('TOPIC_AUTHORIZATION_FAILED');
    await expect(
      retryWhileTopicSettles(() => {
        calls++;
        return Promise.reject(denied);
      }, options(30_000)),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('gives up with the last error once the timeout has passed', async () => {
    const unknown = kafkaError('UNKNOWN_TOPIC_OR_PARTITION');
    await expect(retryWhileTopicSettles(() => Promise.reject(unknown), options(5_000))).rejects.toBe(unknown);
    expect(clock).toBeGreaterThanOrEqual(5_000);
  });

  it('stops retrying at once when its signal aborts, with the last error', async () => {
    const stop = new AbortController();
    let calls = 0;
    const retrying = retryWhileTopicSettles(
      () => {
        calls++;
        if (calls === 2) stop.abort();
        return Promise.reject(kafkaError('UNKNOWN_TOPIC_OR_PARTITION'));
      },
      { ...options(60_000), signal: stop.signal },
    );
    await expect(retrying).rejects.toThrow('UNKNOWN_TOPIC_OR_PARTITION');
    expect(calls).toBe(2);
    expect(clock).toBeLessThan(1_000);
  });
});
