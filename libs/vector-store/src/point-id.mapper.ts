import { v5 as uuidV5 } from 'uuid';

/**
 * Qdrant point ids must be unsigned integers or UUIDs, ours are arbitrary strings (stream ids).
 * A name-based UUIDv5 (SHA-1 of namespace + id) is deterministic, so every writer and reader maps
 * the same id to the same point without a lookup table; the original id travels in the payload.
 * Changing this namespace would orphan every stored point: never change it.
 */
export const POINT_ID_NAMESPACE = 'd6f1c1a4-3e0b-5b8e-9a7c-6e2f4b1d0c93';

/** Payload key holding the caller's original string id in Qdrant (reserved). */
export const POINT_ID_PAYLOAD_KEY = '_id';

export function toQdrantPointId(id: string): string {
  return uuidV5(id, POINT_ID_NAMESPACE);
}
