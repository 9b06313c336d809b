import {
  InvalidEmbeddingRecordError,
  bufferToFloat32,
  decodeStreamVectorRecord,
  decodeUserVectorRecord,
  encodeStreamVectorRecord,
  encodeUserVectorRecord,
  float32Bytes,
  float32ToBuffer,
} from './embedding-record.codec';

const vector = Float32Array.from([0.6, -0.8, 0, 1e-7]);

describe('embedding record codec', () => {
  it('round-trips stream and user records exactly (float32 little-endian, base64)', () => {
    const payload = {
      live: true,
      sellerId: 's1',
      category: 'watches',
      language: 'en',
      title: 't',
      startedAt: 5,
    };
    const encoded = encodeStreamVectorRecord({
      streamId: 'st1',
      vector,
      payload,
      eventTime: 10,
      publishedAt: 11,
    });
    expect(decodeStreamVectorRecord(Buffer.from(encoded), 4)).toEqual({
      streamId: 'st1',
      vector,
      payload,
      eventTime: 10,
      publishedAt: 11,
    });
    const user = encodeUserVectorRecord({ userId: 'u1', vector, eventTime: 3, publishedAt: 4 });
    expect(decodeUserVectorRecord(user, 4)).toEqual({ userId: 'u1', vector, eventTime: 3, publishedAt: 4 });
    expect(float32ToBuffer(vector)).toHaveLength(16);
    expect(float32ToBuffer(vector).readFloatLE(4)).toBeCloseTo(-0.8, 6);
  });

  it('refuses wrong dimensions, non-finite components and malformed JSON', () => {
    const encoded = encodeUserVectorRecord({ userId: 'u1', vector, eventTime: 0, publishedAt: 0 });
    expect(() => decodeUserVectorRecord(encoded, 8)).toThrow(InvalidEmbeddingRecordError);
    const nan = Buffer.alloc(8);
    nan.writeFloatLE(NaN, 0);
    expect(() => bufferToFloat32(nan)).toThrow('non-finite');
    expect(() => bufferToFloat32(Buffer.alloc(5))).toThrow(InvalidEmbeddingRecordError);
    expect(() => decodeStreamVectorRecord('{"streamId":1}', 4)).toThrow('streamId');
    expect(() => decodeStreamVectorRecord('not json', 4)).toThrow(InvalidEmbeddingRecordError);
  });

  it('builds the user record text exactly as JSON.stringify would, reusing given bytes', () => {
    const record = { userId: 'u"1\\', vector, eventTime: 3, publishedAt: 4 };
    const expected = JSON.stringify({
      userId: record.userId,
      vector: float32ToBuffer(vector).toString('base64'),
      dimension: 4,
      eventTime: 3,
      publishedAt: 4,
    });
    expect(encodeUserVectorRecord(record)).toBe(expected);
    expect(encodeUserVectorRecord(record, float32Bytes(vector))).toBe(expected);
  });

  it('float32Bytes views the vector (little-endian hosts) and bufferToFloat32 copies it back', () => {
    const v = Float32Array.from([1.5, -2, 3e38, 1e-40]);
    const bytes = float32Bytes(v);
    expect(bytes.equals(float32ToBuffer(v))).toBe(true);
    const back = bufferToFloat32(bytes);
    expect(Array.from(back)).toEqual(Array.from(v));
    back[0] = 9;
    expect(v[0]).toBe(1.5);
  });
});
