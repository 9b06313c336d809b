import { NowcastEvent } from '@app/contracts';
import { KafkaBatch, KafkaInboundMessage } from '@app/kafka';
import { TraceContext, childTraceContext, parseTraceparent, traceLogFields } from '@app/observability';
import { LoggerService } from '@nestjs/common';

/** A consumed event whose W3C traceparent was sampled: this hop's span (a child of the producer's). */
export interface TracedEvent {
  context: TraceContext;
  parentSpanId: string;
  offset: string;
}

/**
 * This hop's span for a message whose traceparent is valid and sampled (flags bit 0); undefined
 * otherwise: unsampled and untraced events cost nothing and are not logged one by one (volume).
 */
export function sampledChild(message: KafkaInboundMessage): TracedEvent | undefined {
  const parent = parseTraceparent(message.headers.traceparent);
  if (!parent || (parent.flags & 1) === 0) return undefined;
  return { context: childTraceContext(parent), parentSpanId: parent.spanId, offset: message.offset };
}

/** The events whose change is published uncoalesced (and carries the trace on). */
export function isLifecycle(type: NowcastEvent['type']): boolean {
  return (
    type === 'stream.started' ||
    type === 'stream.ended' ||
    type === 'stream.removed' ||
    type === 'stream.expired'
  );
}

/** One structured line per sampled event of a batch: its trace, this hop's span and the event. */
export function logTracedEvents(
  logger: Pick<LoggerService, 'log'>,
  batch: Pick<KafkaBatch, 'topic' | 'partition'>,
  events: readonly NowcastEvent[],
  traces: readonly (TracedEvent | undefined)[],
): void {
  for (let i = 0; i < events.length; i++) {
    const trace = traces[i];
    if (!trace) continue;
    logger.log({
      msg: 'embedding event applied',
      ...traceLogFields(trace.context),
      parentSpanId: trace.parentSpanId,
      eventType: events[i].type,
      eventId: events[i].eventId,
      topic: batch.topic,
      partition: batch.partition,
      offset: trace.offset,
    });
  }
}
