import { Logger, LoggerService } from '@nestjs/common';
import { Kafka, logCreator, logLevel, RetryOptions, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';

/** How to reach the cluster; shared by the server, the producer, the client and the admin helpers. */
export interface KafkaConnectionOptions {
  brokers: string[];
  clientId?: string;
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
  /** TCP connect timeout, ms (kafkajs default 1000). */
  connectionTimeoutMs?: number;
  /** Per-request timeout, ms (kafkajs default 30000). */
  requestTimeoutMs?: number;
  /** kafkajs client-level retry of failed requests. */
  retry?: RetryOptions;
  /** kafkajs log level; its logs go through the Nest logger (so nestjs-pino when installed). Default WARN. */
  logLevel?: logLevel;
  logger?: LoggerService;
}

/** The connection fields of a validated config (`@app/config`'s KafkaConnectionConfig has them). */
export interface KafkaClusterConfig {
  brokers: readonly string[];
  clientId: string;
  ssl: boolean;
  sasl?: SASLOptions;
}

/**
 * The cluster's connection options for one client: its brokers (copied, as the config's array is
 * frozen), TLS and SASL, and its client id with an optional suffix (`<clientId>-<suffix>`) that
 * tells a service's clients apart in the broker's logs and quotas.
 */
export function kafkaConnectionOf(
  cluster: KafkaClusterConfig,
  clientIdSuffix?: string,
): KafkaConnectionOptions {
  return {
    brokers: [...cluster.brokers],
    clientId: clientIdSuffix ? `${cluster.clientId}-${clientIdSuffix}` : cluster.clientId,
    ssl: cluster.ssl,
    sasl: cluster.sasl,
  };
}

/** Routes kafkajs' own logs into a Nest LoggerService instead of its console JSON. */
export function nestLogCreator(logger: LoggerService): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const context = `kafkajs:${namespace}`;
      const line = Object.keys(extra).length > 0 ? `${message} ${JSON.stringify(extra)}` : message;
      // kafkajs logs every error response at ERROR in its Connection namespace, including routine ones
      // ("group is rebalancing", "coordinator loading") that it retries itself: those are warnings.
      const effective = level === logLevel.ERROR && namespace === 'Connection' ? logLevel.WARN : level;
      switch (effective) {
        case logLevel.ERROR:
          logger.error(line, context);
          return;
        case logLevel.WARN:
          logger.warn(line, context);
          return;
        case logLevel.INFO:
          logger.log(line, context);
          return;
        case logLevel.DEBUG:
          logger.debug?.(line, context);
          return;
        case logLevel.NOTHING:
          return;
      }
    };
}

export function createKafka(options: KafkaConnectionOptions, clientIdSuffix?: string): Kafka {
  const clientId = options.clientId ?? 'nowcast';
  return new Kafka({
    brokers: options.brokers,
    clientId: clientIdSuffix ? `${clientId}-${clientIdSuffix}` : clientId,
    ssl: options.ssl,
    sasl: options.sasl,
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    retry: options.retry,
    logLevel: options.logLevel ?? logLevel.WARN,
    logCreator: nestLogCreator(options.logger ?? new Logger('kafka')),
  });
}
