import {
  ApiKeys,
  CommonConfig,
  DeepReadonly,
  KafkaConnectionConfig,
  RedisConnectionConfig,
  TopicsConfig,
} from '@app/config';
import { EnricherSettings } from '../enrichment/enricher.env';
import { IngressSettings } from '../ingress/ingress.env';

/**
 * The part of the app config the enricher's feature modules read (injected as APP_CONFIG). The
 * app's full config is a superset, so it is assignable to this.
 */
export type EnricherFeatureConfig = DeepReadonly<{
  common: CommonConfig;
  kafka: KafkaConnectionConfig;
  redis: RedisConnectionConfig;
  topics: TopicsConfig;
  apiKeys: ApiKeys;
  enricher: EnricherSettings;
  ingress: IngressSettings;
}>;
