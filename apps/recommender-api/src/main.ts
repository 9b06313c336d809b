import { loadConfig } from '@app/config';
import { bootstrapService, createFastifyService, exitOnBootFailure } from '@app/health';
import cluster from 'node:cluster';
import { SERVICE_NAME, recommenderApiEnvSchema } from './config/recommender-api.config';
import { recommenderFastifyOptions } from './http/fastify.options';
import { drainOnPrimaryMessage, superviseHttpWorkers } from './http/http-workers';
import { RecommenderApiModule } from './recommender-api.module';
import { setupSwagger } from './swagger.setup';

// The one place that reads process.env: the root module validates it once.
async function start(): Promise<void> {
  if (cluster.isPrimary) {
    // validated here too, so a bad environment fails once in the primary, not in every worker
    const { serving } = loadConfig(recommenderApiEnvSchema, process.env);
    if (serving.workers > 1) return superviseHttpWorkers(SERVICE_NAME, serving.workers);
  }
  await bootstrapService({
    serviceName: SERVICE_NAME,
    create: () =>
      createFastifyService(RecommenderApiModule.forRoot(process.env), recommenderFastifyOptions()),
    configure: setupSwagger,
    // HTTP_WORKERS > 1: a worker drains on the primary's message; one process on SIGTERM/SIGINT itself
    shutdown: cluster.isWorker ? drainOnPrimaryMessage : undefined,
  });
}

start().catch(exitOnBootFailure(SERVICE_NAME));
