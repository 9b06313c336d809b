import { endianness } from 'node:os';
import type { Payload } from '../payload-filter.types';

/**
 * Records of the compacted embedding change feeds (`nowcast.embeddings.streams.v1`, key =
 * streamId; `nowcast.embeddings.users.v1`, key = userId). A null value is a tombstone: the point
 * is gone (stream ended / removed / expired, user erased). Vectors travel as base64 of float32
 * little-endian (128-d = 684 characters instead of ~2.5 KB of JSON numbers).
 */
export interface StreamVectorRecord {
  streamId: string;
  vector: Float32Array;
  /** live, sellerId, category, language, title, startedAt (epoch ms). */
  payload: Payload;
  /** Event time of the newest event reflected, epoch ms. */
  eventTime: number;
  /** Wall-clock time the writer published it, epoch ms. */
  publishedAt: number;
}

export interface UserVectorRecord {
  userId: string;
  vector: Float32Array;
  eventTime: number;
  publishedAt: number;
}

/** A record that cannot be decoded (wrong shape or dimension, non-finite component). */
export class InvalidEmbeddingRecordError extends Error {
  override readonly name = 'InvalidEmbeddingRecordError';
}

/** Typed arrays use the host's byte order; on little-endian hosts (x86, ARM) the bytes are copied as they are. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** float32 little-endian bytes of a vector (also the Redis value of a user vector). A copy. */
export function float32ToBuffer(vector: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(vector.length * 4);
  if (LITTLE_ENDIAN) out.set(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength));
  else for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i], i * 4);
  return out;
}

/**
 * The float32 little-endian bytes of a vector WITHOUT a copy on little-endian hosts (a Buffer view
 * of the same memory: valid while the vector is not rewritten), a copy elsewhere. For writers that
 * send the bytes at once (the embedding-writer's Redis values).
 */
export function float32Bytes(vector: Float32Array): Buffer {
  return LITTLE_ENDIAN
    ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)
    : float32ToBuffer(vector);
}

export function bufferToFloat32(bytes: Buffer): Float32Array {
  if (bytes.length % 4 !== 0)
    throw new InvalidEmbeddingRecordError(`vector bytes ${bytes.length} not a multiple of 4`);
  const out = new Float32Array(bytes.length / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  for (let i = 0; i < out.length; i++) {
    // x - x is NaN for NaN and +-Infinity
    if (out[i] - out[i] !== 0) throw new InvalidEmbeddingRecordError('vector has a non-finite component');
  }
  return out;
}

/** `bytes`: float32ToBuffer(record.vector) when the caller has it already (saves a copy). */
export function encodeStreamVectorRecord(record: StreamVectorRecord, bytes?: Buffer): string {
  return JSON.stringify({
    streamId: record.streamId,
    vector: (bytes ?? float32ToBuffer(record.vector)).toString('base64'),
    dimension: record.vector.length,
    payload: record.payload,
    eventTime: record.eventTime,
    publishedAt: record.publishedAt,
  });
}

/**
 * Same JSON as JSON.stringify of the record's fields, built as text (one per changed user per
 * flush: the hot path of the writer). `bytes`: float32ToBuffer(record.vector) when the caller has
 * it already (the Redis value).
 */
export function encodeUserVectorRecord(record: UserVectorRecord, bytes?: Buffer): string {
  const base64 = (bytes ?? float32ToBuffer(record.vector)).toString('base64');
  return (
    `{"userId":${JSON.stringify(record.userId)},"vector":"${base64}","dimension":${record.vector.length},` +
    `"eventTime":${JSON.stringify(record.eventTime)},"publishedAt":${JSON.stringify(record.publishedAt)}}`
  );
}

interface RawRecord {
  streamId?: unknown;
  userId?: unknown;
  vector?: unknown;
  dimension?: unknown;
  payload?: unknown;
  eventTime?: unknown;
  publishedAt?: unknown;
}

function decodeVector(raw: RawRecord, dimension: number): Float32Array {
  if (typeof raw.vector !== 'string') throw new InvalidEmbeddingRecordError('vector must be a base64 string');
  const vector = bufferToFloat32(Buffer.from(raw.vector, 'base64'));
  if (vector.length !== dimension) {
    throw new InvalidEmbeddingRecordError(`vector has ${vector.length} dimensions, expected ${dimension}`);
  }
  return vector;
}

function parse(value: Buffer | string): RawRecord {
  try {
    const parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed;
  } catch (error) {
    throw new InvalidEmbeddingRecordError(`record is not a JSON object: ${(error as Error).message}`);
  }
}

const time = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

export function decodeStreamVectorRecord(value: Buffer | string, dimension: number): StreamVectorRecord {
  const raw = parse(value);
  if (typeof raw.streamId !== 'string' || raw.streamId.length === 0) {
    throw new InvalidEmbeddingRecordError('streamId must be a non-empty string');
  }
  if (typeof raw.payload !== 'object' || raw.payload === null || Array.isArray(raw.payload)) {
    throw new InvalidEmbeddingRecordError('payload must be an object');
  }
  return {
    streamId: raw.streamId,
    vector: decodeVector(raw, dimension),
    payload: raw.payload as Payload,
    eventTime: time(raw.eventTime),
    publishedAt: time(raw.publishedAt),
  };
}

export function decodeUserVectorRecord(value: Buffer | string, dimension: number): UserVectorRecord {
  const raw = parse(value);
  if (typeof raw.userId !== 'string' || raw.userId.length === 0) {
    throw new InvalidEmbeddingRecordError('userId must be a non-empty string');
  }
  return {
    userId: raw.userId,
    vector: decodeVector(raw, dimension),
    eventTime: time(raw.eventTime),
    publishedAt: time(raw.publishedAt),
  };
}
