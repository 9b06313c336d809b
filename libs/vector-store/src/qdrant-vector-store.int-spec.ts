// The shared VectorStore conformance suite against a REAL Qdrant. Qdrant cannot run on the CI
// machines, so this runs only when QDRANT_URL (and optionally QDRANT_API_KEY) is set, and says
// loudly that it was skipped otherwise: a skipped run is reported as skipped, never as passed.
import { randomUUID } from 'node:crypto';
import { QdrantClient } from '@qdrant/js-client-rest';
import { QdrantVectorStore } from './qdrant-vector-store.adapter';
import { describeVectorStoreConformance } from './vector-store.conformance';

const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY;

if (url) {
  describeVectorStoreConformance(`QdrantVectorStore (real Qdrant at ${url})`, (dimension) => {
    const collection = `conformance_${randomUUID().replace(/-/g, '')}`;
    const store = new QdrantVectorStore({ url, apiKey, collection, dimension });
    const admin = new QdrantClient({ url, apiKey, checkCompatibility: false });
    return Promise.resolve({
      store,
      dispose: async () => {
        await admin.deleteCollection(collection);
      },
    });
  });
} else {
  console.warn(
    'SKIPPED: QDRANT_URL not set - QdrantVectorStore conformance against a real Qdrant did not run',
  );
  // eslint-disable-next-line jest/no-disabled-tests, jest/expect-expect -- reported as skipped, on purpose
  it.skip('SKIPPED: QDRANT_URL not set (QdrantVectorStore conformance against a real Qdrant)', () =>
    undefined);
}
