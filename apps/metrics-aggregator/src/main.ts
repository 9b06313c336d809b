import {
  ReadinessRegistry,
  bootstrapService,
  createFastifyService,
  exitOnBootFailure,
  kafkaConsumerCheck,
} from '@app/health';
import { PipelineMetrics } from '@app/observability';
import { SERVICE_NAME } from './config/metrics-aggregator.config';
import { MetricsAggregatorModule } from './metrics-aggregator.module';
import { AGGREGATOR_TRANSPORT, AggregatorTransport } from './stream-metrics/stream-metrics.module';

// The one place that reads process.env: the root module validates it once.
bootstrapService({
  serviceName: SERVICE_NAME,
  create: () => createFastifyService(MetricsAggregatorModule.forRoot(process.env)),
  configure: (app) => {
    // the enriched-topic consumer (KafkaBatchServer) runs as this app's microservice
    const transport = app.get<AggregatorTransport>(AGGREGATOR_TRANSPORT);
    app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
    transport.observe(app.get(PipelineMetrics).transportObserver());
    app.get(ReadinessRegistry).register(kafkaConsumerCheck('aggregator-consumer', () => transport.health()));
  },
}).catch(exitOnBootFailure(SERVICE_NAME));
