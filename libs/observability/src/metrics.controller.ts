import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { metricsTextSource } from './cluster-metrics';

/** Prometheus scrape endpoint (in a cluster worker: the whole cluster's metrics, see cluster-metrics.ts). */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly metricsText: () => Promise<string>;

  constructor(registry: Registry) {
    this.metricsText = metricsTextSource(registry);
  }

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  scrape(): Promise<string> {
    return this.metricsText();
  }
}
