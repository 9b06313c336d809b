import { KafkaBatch } from '@app/kafka';
import { uniqueName } from '@app/testing';
import { Redis } from 'ioredis';
import { ChildProcess } from 'node:child_process';
import { AggregatorTopics } from '../aggregation/aggregator-topics';
import { AggregatorSettings } from '../aggregation/aggregator.settings';
import { StandaloneAggregator, startStandaloneAggregator } from '../runtime/standalone-aggregator';
import { RedisAggregateStateRepository } from '../state/redis-aggregate-state.repository';
import { AggregatorChildConfig, startAggregatorChild } from './int-helpers';
import { createAggregatorTopics } from './pipeline.helpers';

export interface AggregatorRestartRigOptions {
  brokers: string[];
  redisUrl: string;
  settings: AggregatorSettings;
  /** Prefix of the test's Redis key prefix (uniqueName is applied). */
  name: string;
  /** Partitions of the enriched/raw topics. Default 3. */
  partitions?: number;
}

/**
 * The crash tests' setup: fresh topics and Redis key prefix, an aggregator child process (to
 * SIGKILL) and an in-process successor on the same consumer group; `dispose()` in afterEach.
 */
export class AggregatorRestartRig {
  readonly groupId = uniqueName('agg-group');
  child: ChildProcess | null = null;
  aggregator: StandaloneAggregator | null = null;

  private constructor(
    private readonly options: AggregatorRestartRigOptions,
    readonly topics: AggregatorTopics,
    readonly keyPrefix: string,
    readonly redis: Redis,
    readonly repo: RedisAggregateStateRepository,
  ) {}

  static async create(options: AggregatorRestartRigOptions): Promise<AggregatorRestartRig> {
    const topics = await createAggregatorTopics(options.brokers, options.partitions);
    const keyPrefix = `${uniqueName(options.name)}:`;
    const redis = new Redis(options.redisUrl, { keyPrefix });
    const repo = new RedisAggregateStateRepository(redis, options.settings);
    return new AggregatorRestartRig(options, topics, keyPrefix, redis, repo);
  }

  /** Starts the aggregator in a child process on the rig's group; resolves once it consumes. */
  async startChild(
    extra: Pick<AggregatorChildConfig, 'batchDelayMs' | 'killAfterBatches'> = {},
  ): Promise<ChildProcess> {
    const { brokers, redisUrl, settings } = this.options;
    const { keyPrefix, topics, groupId } = this;
    this.child = await startAggregatorChild({
      brokers,
      redisUrl,
      keyPrefix,
      topics,
      groupId,
      settings,
      ...extra,
    });
    return this.child;
  }

  killChild(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }

  /** Starts the successor in this process on the rig's group (no lease sweeper). */
  async startInProcess(onBatch?: (batch: KafkaBatch) => void): Promise<StandaloneAggregator> {
    const { brokers, settings } = this.options;
    this.aggregator = await startStandaloneAggregator({
      brokers,
      redis: this.redis,
      topics: this.topics,
      groupId: this.groupId,
      settings,
      sweeper: false,
      // a killed member's partitions move sooner than with the 30 s default
      sessionTimeoutMs: 6_000,
      onBatch,
    });
    return this.aggregator;
  }

  async stopInProcess(): Promise<void> {
    await this.aggregator?.stop();
    this.aggregator = null;
  }

  async dispose(): Promise<void> {
    this.killChild();
    await this.stopInProcess();
    await this.repo.deleteAll();
    await this.redis.quit();
  }
}
