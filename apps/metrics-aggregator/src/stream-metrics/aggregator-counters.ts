import { PipelineMetrics } from '@app/observability';
import { Counter, Registry } from 'prom-client';
import { AggregatorCounters } from './enriched-batch.handler';

/** AggregatorCounters on the app's prometheus registry (the shared pipeline families + two own). */
export function prometheusCounters(registry: Registry, pipeline: PipelineMetrics): AggregatorCounters {
  const late = new Counter({
    name: 'nowcast_aggregator_late_events_total',
    help: 'Events later than the allowed lateness: in lifetime totals, not in the windows.',
    registers: [registry],
  });
  const duplicates = new Counter({
    name: 'nowcast_aggregator_duplicate_batches_total',
    help: 'Batches already applied (redelivery after a crash or rebalance): skipped by the offset guard.',
    registers: [registry],
  });
  return {
    consumed: (type, n) => pipeline.consumed.inc({ type }, n),
    deadLettered: (type, reason) => pipeline.deadLettered.inc({ type, reason }),
    late: (n) => late.inc(n),
    duplicateBatch: () => duplicates.inc(),
  };
}

/** Users whose engagement keys the idle-user sweep deleted (USER_ENGAGEMENT_TTL_SEC). */
export function idleUsersSweptCounter(registry: Registry): (users: number) => void {
  const swept = new Counter({
    name: 'nowcast_aggregator_idle_users_swept_total',
    help: 'Users idle for USER_ENGAGEMENT_TTL_SEC whose engagement keys were deleted (follows kept).',
    registers: [registry],
  });
  return (users) => swept.inc(users);
}
