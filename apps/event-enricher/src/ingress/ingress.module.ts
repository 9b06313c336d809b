import { BatchingProducer, EventProducer, kafkaConnectionOf } from '@app/kafka';
import {
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import type { EnricherFeatureConfig } from '../runtime/enricher-feature.config';
import { ApiKeyAuthenticator, TokenBucketRateLimiter } from '@app/api-auth';
import { IngressController } from './ingress.controller';
import { INGRESS_PRODUCER, IngressService } from './ingress.service';

export class InsecureIngressError extends Error {
  override readonly name = 'InsecureIngressError';
}

const OWNS_PRODUCER = Symbol('OWNS_PRODUCER');

/** Warns about an open ingress at boot; closes the producer it created at shutdown. */
@Injectable()
class IngressProducerLifecycle implements OnApplicationShutdown, OnApplicationBootstrap {
  private readonly logger = new Logger('IngressModule');

  constructor(
    @Inject(INGRESS_PRODUCER) private readonly producer: EventProducer,
    private readonly authenticator: ApiKeyAuthenticator,
    @Inject(OWNS_PRODUCER) private readonly ownsProducer: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (this.authenticator.open) {
      this.logger.warn(
        'API_KEYS is not set: POST /v1/events is OPEN to anyone (allowed outside production only)',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ownsProducer) await this.producer.close();
  }
}

export interface IngressModuleOptions {
  /** A producer to share (in-process bus); default: a BatchingProducer to the configured brokers. */
  producer?: EventProducer;
}

/** HTTP ingress: POST /v1/events -> raw topic. */
@Module({})
export class IngressModule {
  static forRoot(config: EnricherFeatureConfig, options: IngressModuleOptions = {}): DynamicModule {
    if (config.apiKeys.size === 0 && config.common.nodeEnv === 'production') {
      throw new InsecureIngressError(
        'API_KEYS must be set when NODE_ENV=production (refusing to run an open ingress)',
      );
    }
    const { kafka } = config;
    const producer: Provider = options.producer
      ? { provide: INGRESS_PRODUCER, useValue: options.producer }
      : {
          provide: INGRESS_PRODUCER,
          useFactory: () => new BatchingProducer(kafkaConnectionOf(kafka, 'ingress')),
        };
    return {
      module: IngressModule,
      controllers: [IngressController],
      providers: [
        producer,
        IngressService,
        { provide: ApiKeyAuthenticator, useValue: new ApiKeyAuthenticator(config.apiKeys) },
        {
          provide: TokenBucketRateLimiter,
          useValue: new TokenBucketRateLimiter(config.ingress.rateLimitMax, config.ingress.rateLimitWindowMs),
        },
        { provide: OWNS_PRODUCER, useValue: options.producer === undefined },
        IngressProducerLifecycle,
      ],
    };
  }
}
