import { createHash } from 'node:crypto';

/**
 * The deterministic eventId of the `stream.expired` that ends a lease: a UUID-shaped SHA-1 of
 * "<streamId>:<lastActivityAt>" (version nibble 5, RFC 4122 variant). Every sweeper, a replay and
 * the apply script (redis.sha1hex over the same text) compute the same id, so a second sweeper's
 * copy is a duplicate the enricher drops, and an expiry whose lease was renewed meanwhile is
 * recognised as stale (its id no longer matches the stream's last activity).
 */
export function expiredEventId(streamId: string, lastActivityAt: number): string {
  return uuidFromSha1Hex(createHash('sha1').update(`${streamId}:${lastActivityAt}`).digest('hex'));
}

export function uuidFromSha1Hex(hex: string): string {
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
