import { freePort } from './ports';
import { checkInfra } from './infra-check';

describe('checkInfra', () => {
  it('names each dependency that does not answer, with the reason', async () => {
    const [kafkaPort, redisPort] = [await freePort(), await freePort()];
    const { problems } = await checkInfra({
      kafkaBrokers: [`127.0.0.1:${kafkaPort}`],
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      timeoutMs: 2_000,
    });
    expect(problems).toEqual([
      expect.stringMatching(new RegExp(`^Kafka at 127.0.0.1:${kafkaPort} does not answer \\(.*ECONNREFUSED`)),
      expect.stringMatching(
        new RegExp(`^Redis at redis://127.0.0.1:${redisPort} does not answer \\(.*ECONNREFUSED`),
      ),
    ]);
  });
});
