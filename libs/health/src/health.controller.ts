import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessRegistry } from './readiness.registry';
import { ShutdownState } from './shutdown.state';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessRegistry,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The process answers: nothing else, so a dependency outage never restarts the pod. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([
      () =>
        this.indicators.check('process').up({ pid: process.pid, uptimeSec: Math.round(process.uptime()) }),
    ]);
  }

  /** Every registered dependency; 503 when one is down or shutdown has begun. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    if (this.shutdown.shuttingDown) {
      // dependencies are being closed on purpose: do not probe them, just say "not ready"
      return this.health.check([() => this.indicators.check('shutdown').down({ message: 'shutting down' })]);
    }
    const outcomes = this.readiness.runAll();
    return this.health.check(
      this.readiness.names().map((name) => async () => {
        const outcome = (await outcomes).find((o) => o.name === name);
        const indicator = this.indicators.check(name);
        return outcome?.up ? indicator.up(outcome.details) : indicator.down(outcome?.details ?? {});
      }),
    );
  }
}
