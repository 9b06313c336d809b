import { Admin, Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { DependencyCheck } from './dependency.check';
import { KafkaCheckError, KafkaCheckStage } from './kafka-check.error';

/** The admin calls the probe makes (a kafkajs Admin; tests pass their own). */
export type KafkaCheckAdmin = Pick<Admin, 'connect' | 'describeCluster' | 'disconnect'>;

/**
 * Kafka is ready when the cluster answers describeCluster. One admin connection is kept and
 * reused between probes; after a failure it is dropped and the next probe reconnects. No kafkajs
 * retries: a probe must answer within the probe timeout, and the next probe is the retry.
 * describeCluster is one Metadata request for no topic (brokers + controller, ~65 bytes): unpatched
 * kafkajs refreshed every topic's metadata and then asked for every topic again on each call
 * (~7 ms of client CPU per probe with 900 topics on the broker), see patches/kafkajs+2.2.4.patch.
 * A failure rejects with a KafkaCheckError naming the step and the brokers.
 */
export function kafkaCheck(
  config: KafkaConfig,
  timeoutMs: number,
  name = 'kafka',
  createAdmin?: () => KafkaCheckAdmin,
): DependencyCheck {
  const kafka = new Kafka({
    ...config,
    clientId: `${config.clientId ?? 'nowcast'}-health`,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    // failures surface as readiness `down`; kafkajs' own error lines would repeat every probe
    logLevel: logLevel.NOTHING,
  });
  const newAdmin = createAdmin ?? (() => kafka.admin());
  const brokers = Array.isArray(config.brokers) ? config.brokers : ['(brokers from a function)'];
  let admin: KafkaCheckAdmin | undefined;

  const drop = async (): Promise<void> => {
    const current = admin;
    admin = undefined;
    await current?.disconnect().catch(() => undefined);
  };

  return {
    name,
    check: async () => {
      let stage: KafkaCheckStage = 'connect';
      try {
        if (!admin) {
          const fresh = newAdmin();
          await fresh.connect();
          admin = fresh;
        }
        stage = 'describeCluster';
        const cluster = await admin.describeCluster();
        return { brokers: cluster.brokers.length, controller: cluster.controller ?? -1 };
      } catch (error) {
        await drop();
        throw new KafkaCheckError(stage, brokers, error);
      }
    },
    close: drop,
  };
}
