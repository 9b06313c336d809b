import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';
import { EnvGroup } from './env-schema';
import { EnvVar } from './env-var.decorator';
import { IsHostPortList, ToBoolean, ToNumber } from './env.validators';

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export class KafkaEnvDto {
  @EnvVar({ description: 'Bootstrap brokers, comma-separated host:port.', type: 'list' })
  @IsHostPortList()
  KAFKA_BROKERS!: string;

  @EnvVar({ description: 'Connect to the brokers over TLS.' })
  @ToBoolean()
  @IsBoolean()
  KAFKA_SSL!: boolean;

  @EnvVar({
    description: 'SASL mechanism; unset = no SASL. Needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD.',
  })
  @IsOptional()
  @IsIn(KAFKA_SASL_MECHANISMS)
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;

  @EnvVar({ description: 'SASL user name (required with KAFKA_SASL_MECHANISM).' })
  @ValidateIf((dto: KafkaEnvDto) => dto.KAFKA_SASL_MECHANISM !== undefined)
  @IsString()
  @IsNotEmpty()
  KAFKA_SASL_USERNAME?: string;

  @EnvVar({ description: 'SASL password (required with KAFKA_SASL_MECHANISM).', secret: true })
  @ValidateIf((dto: KafkaEnvDto) => dto.KAFKA_SASL_MECHANISM !== undefined)
  @IsString()
  @IsNotEmpty()
  KAFKA_SASL_PASSWORD?: string;

  @EnvVar({ description: 'Kafka client id (shows in broker logs and quotas).' })
  @IsString()
  @IsNotEmpty()
  KAFKA_CLIENT_ID!: string;

  @EnvVar({
    description:
      "Static group membership (KIP-345): this process's id in its consumer groups, unique per replica and stable across its restarts (in Kubernetes the pod name). A restarted process takes its partitions back at once instead of after the session timeout; unset = a dynamic member.",
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,249}$/, {
    message: 'KAFKA_GROUP_INSTANCE_ID may only hold letters, digits and . _ - (at most 249)',
  })
  KAFKA_GROUP_INSTANCE_ID?: string;

  @EnvVar({
    description:
      'Consumers without transactions commit the offsets of the batches they finished together, at most this often (ms): one request instead of one per batch. A crash redelivers up to this much more (the consumers are idempotent), and lag measured from committed offsets reads this much higher.',
  })
  @ToNumber()
  @IsInt()
  @Min(0)
  @Max(60_000)
  KAFKA_OFFSET_COMMIT_INTERVAL_MS!: number;
}

/** A union per mechanism, like kafkajs' SASLOptions, so it is assignable to them. */
export type KafkaSasl = {
  [M in KafkaSaslMechanism]: { mechanism: M; username: string; password: string };
}[KafkaSaslMechanism];

/** Shaped like kafkajs' KafkaConfig connection fields, so it can be spread into one. */
export interface KafkaConnectionConfig {
  brokers: string[];
  ssl: boolean;
  sasl?: KafkaSasl;
  clientId: string;
  /** Consumer groups' static member id (KIP-345); undefined = dynamic membership. */
  groupInstanceId?: string;
  /** Non-transactional consumers commit finished batches' offsets together at most this often, ms. */
  offsetCommitIntervalMs: number;
}

/** KAFKA_*: brokers default to the local development broker; client id defaults to the app name. */
export function kafkaEnv(defaults: { clientId: string }): EnvGroup<KafkaEnvDto, KafkaConnectionConfig> {
  return {
    dto: KafkaEnvDto,
    defaults: {
      KAFKA_BROKERS: '127.0.0.1:9092',
      KAFKA_SSL: 'false',
      KAFKA_CLIENT_ID: defaults.clientId,
      KAFKA_OFFSET_COMMIT_INTERVAL_MS: '100',
    },
    toConfig: (dto) => ({
      brokers: dto.KAFKA_BROKERS.split(',').map((b) => b.trim()),
      ssl: dto.KAFKA_SSL,
      clientId: dto.KAFKA_CLIENT_ID,
      offsetCommitIntervalMs: dto.KAFKA_OFFSET_COMMIT_INTERVAL_MS,
      ...(dto.KAFKA_GROUP_INSTANCE_ID ? { groupInstanceId: dto.KAFKA_GROUP_INSTANCE_ID } : {}),
      ...(dto.KAFKA_SASL_MECHANISM
        ? {
            sasl: {
              mechanism: dto.KAFKA_SASL_MECHANISM,
              username: dto.KAFKA_SASL_USERNAME ?? '',
              password: dto.KAFKA_SASL_PASSWORD ?? '',
            },
          }
        : {}),
    }),
  };
}
