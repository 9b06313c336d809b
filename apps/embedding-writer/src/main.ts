import { APP_CONFIG } from '@app/config';
import {
  ReadinessRegistry,
  bootstrapService,
  createFastifyService,
  exitOnBootFailure,
  kafkaConsumerCheck,
} from '@app/health';
import { PipelineMetrics } from '@app/observability';
import { EmbeddingWriterConfig, SERVICE_NAME } from './config/embedding-writer.config';
import { EmbeddingWriterModule } from './embedding-writer.module';
import { embeddingWriterTransport } from './writer/embedding-writer-feature.module';

// The one place that reads process.env: the root module validates it once.
bootstrapService({
  serviceName: SERVICE_NAME,
  create: () => createFastifyService(EmbeddingWriterModule.forRoot(process.env)),
  configure: (app) => {
    const config = app.get<EmbeddingWriterConfig>(APP_CONFIG);
    // the enriched-topic consumer (KafkaBatchServer) runs as this app's microservice
    const transport = embeddingWriterTransport({ ...config, serviceName: SERVICE_NAME });
    app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
    transport.observe(app.get(PipelineMetrics).transportObserver());
    app.get(ReadinessRegistry).register(kafkaConsumerCheck('writer-consumer', () => transport.health()));
  },
}).catch(exitOnBootFailure(SERVICE_NAME));
