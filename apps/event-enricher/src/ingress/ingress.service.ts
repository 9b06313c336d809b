import { InjectConfig } from '@app/config';
import {
  ADMIN_ONLY_EVENT_TYPES,
  InvalidMessageError,
  NowcastEvent,
  SYSTEM_ONLY_EVENT_TYPES,
  parseEventBatch,
  partitionKeyOf,
} from '@app/contracts';
import { EventProducer, OutboundMessage } from '@app/kafka';
import { Inject, Injectable } from '@nestjs/common';
import type { EnricherFeatureConfig } from '../runtime/enricher-feature.config';
import { Principal } from '@app/api-auth';

export const INGRESS_PRODUCER = Symbol('INGRESS_PRODUCER');

/** Most events in one request. */
export const MAX_EVENTS_PER_REQUEST = 1_000;

export interface ItemError {
  index: number;
  reason: string;
  issues: { path: string; message: string }[];
}

export type IngressOutcome =
  { status: 202; accepted: number } | { status: 400 | 403; errors: ItemError[]; message: string };

/**
 * Validates a whole request (one event or an array) before producing anything, then produces all
 * of it to the raw topic and resolves once the broker acknowledged (acks = all). Errors name the
 * item index and the field path. A failed produce rejects (the controller answers 503: the broker,
 * not the client, is at fault).
 */
@Injectable()
export class IngressService {
  constructor(
    @InjectConfig() private readonly config: EnricherFeatureConfig,
    @Inject(INGRESS_PRODUCER) private readonly producer: EventProducer,
  ) {}

  async ingest(body: unknown, principal: Principal, traceparent?: string): Promise<IngressOutcome> {
    const checked = this.validate(body, principal);
    if (checked.status !== 202) return checked;
    const { events } = checked;
    const headers = traceparent ? { traceparent } : undefined;
    await this.producer.send(
      this.config.topics.names.raw,
      events.map((event): OutboundMessage => ({
        key: partitionKeyOf(event),
        value: JSON.stringify(event),
        ...(headers ? { headers } : {}),
      })),
    );
    return { status: 202, accepted: events.length };
  }

  /** Pure validation + authorization of a request body. */
  validate(
    body: unknown,
    principal: Principal,
  ): { status: 202; events: NowcastEvent[] } | Exclude<IngressOutcome, { status: 202 }> {
    const { enricher } = this.config;
    let parsed;
    try {
      parsed = parseEventBatch(body, {
        maxItems: MAX_EVENTS_PER_REQUEST,
        maxFutureMs: enricher.maxFutureMs,
        maxPastMs: enricher.maxPastMs,
        maxBytes: this.config.ingress.bodyLimitBytes,
      });
    } catch (error) {
      if (!(error instanceof InvalidMessageError)) throw error;
      return {
        status: 400,
        message: error.message,
        errors: [{ index: -1, reason: error.reason, issues: [...error.issues] }],
      };
    }
    if (!parsed.ok) {
      return {
        status: 400,
        message: `${parsed.errors.length} invalid event(s); nothing was accepted`,
        errors: parsed.errors.map((e) => ({ index: e.index, reason: e.reason, issues: [...e.issues] })),
      };
    }
    const forbidden: ItemError[] = [];
    let needsAdmin = false;
    parsed.events.forEach((event, index) => {
      if (SYSTEM_ONLY_EVENT_TYPES.includes(event.type)) {
        forbidden.push({
          index,
          reason: 'system-only-type',
          issues: [{ path: 'type', message: `type ${event.type} is written by the system only` }],
        });
      } else if (ADMIN_ONLY_EVENT_TYPES.includes(event.type) && !principal.scopes.has('admin')) {
        needsAdmin = true;
        forbidden.push({
          index,
          reason: 'admin-scope-required',
          issues: [{ path: 'type', message: `type ${event.type} needs an API key with the admin scope` }],
        });
      }
    });
    if (forbidden.length > 0) {
      return {
        status: needsAdmin && forbidden.every((f) => f.reason === 'admin-scope-required') ? 403 : 400,
        message: `${forbidden.length} event(s) of a type this key may not send; nothing was accepted`,
        errors: forbidden,
      };
    }
    return { status: 202, events: parsed.events };
  }
}
