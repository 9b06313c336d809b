import { InvalidMessageError, InvalidMessageIssue } from '../events/invalid-message.error';
import { ParseEventOptions, validateEventObject } from '../events/parse-event';
import { validateClass } from '../validation/validate-class';
import type { EnrichedEvent, Enrichment } from './enriched-event';
import { EnrichmentDto, StreamContextDto, UNKNOWN } from './enrichment.dto';

/**
 * The reference parse of an already-parsed enriched event, class by class through validateClass:
 * what parseEnrichedEvent does when its compiled reader says no, so every rejection carries
 * class-validator's own reasons and paths. `options` are already merged with the enriched defaults.
 */
export function parseEnrichedObjectSlow(
  plain: Record<string, unknown>,
  options: ParseEventOptions,
): EnrichedEvent {
  const event = validateEventObject(plain, options, '');
  const enrichmentPlain = plain.enrichment;
  if (typeof enrichmentPlain !== 'object' || enrichmentPlain === null || Array.isArray(enrichmentPlain)) {
    throw InvalidMessageError.of('invalid-field', 'enrichment', 'enrichment must be an object');
  }
  const validated = validateClass(EnrichmentDto, enrichmentPlain, 'enrichment.');
  const issues: InvalidMessageIssue[] = validated.issues;
  const enrichment: Enrichment = { ingestedAt: validated.value.ingestedAt };
  const stream = validated.value.stream;
  if (stream === UNKNOWN) {
    enrichment.stream = UNKNOWN;
  } else if (stream !== undefined && stream !== null && issues.length === 0) {
    const context = validateClass(StreamContextDto, stream, 'enrichment.stream.');
    issues.push(...context.issues);
    enrichment.stream = { ...context.value };
  }
  if (validated.value.followsSeller !== undefined) enrichment.followsSeller = validated.value.followsSeller;
  if (issues.length > 0) throw new InvalidMessageError('invalid-field', issues);
  return { ...event, enrichment };
}
