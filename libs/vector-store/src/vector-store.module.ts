import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata } from '@nestjs/common';
import { InProcessVectorStore, type InProcessVectorStoreOptions } from './in-process-vector-store.adapter';
import { QdrantVectorStore, type QdrantVectorStoreOptions } from './qdrant-vector-store.adapter';
import type { VectorStore } from './vector-store.interface';

/** Inject with `@Inject(VECTOR_STORE) store: VectorStore`. */
export const VECTOR_STORE: InjectionToken<VectorStore> = Symbol('VECTOR_STORE');

export type VectorStoreModuleOptions =
  | { kind: 'in-process'; inProcess: InProcessVectorStoreOptions }
  | { kind: 'qdrant'; qdrant: QdrantVectorStoreOptions };

export function createVectorStore(options: VectorStoreModuleOptions): VectorStore {
  switch (options.kind) {
    case 'in-process':
      return new InProcessVectorStore(options.inProcess);
    case 'qdrant':
      return new QdrantVectorStore(options.qdrant);
  }
}

/**
 * Provides VECTOR_STORE, with the collection and its payload indexes ensured at boot (retried
 * with backoff by the adapter; if Qdrant stays down the app fails to start and is restarted).
 */
@Module({})
export class VectorStoreModule {
  static forRootAsync(options: {
    imports?: ModuleMetadata['imports'];
    inject?: InjectionToken[];
    useFactory: (...deps: never[]) => VectorStoreModuleOptions | Promise<VectorStoreModuleOptions>;
  }): DynamicModule {
    return {
      module: VectorStoreModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: VECTOR_STORE,
          inject: options.inject ?? [],
          useFactory: async (...deps: never[]): Promise<VectorStore> => {
            const store = createVectorStore(await options.useFactory(...deps));
            await store.ensureCollection();
            return store;
          },
        },
      ],
      exports: [VECTOR_STORE],
    };
  }
}
