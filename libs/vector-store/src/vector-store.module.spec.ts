import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InProcessVectorStore } from './in-process-vector-store.adapter';
import { VECTOR_STORE, VectorStoreModule } from './vector-store.module';
import type { VectorStore } from './vector-store.interface';

const DIMENSION = Symbol('DIMENSION');

@Module({ providers: [{ provide: DIMENSION, useValue: 3 }], exports: [DIMENSION] })
class SettingsModule {}

@Injectable()
class Consumer {
  constructor(@Inject(VECTOR_STORE) readonly store: VectorStore) {}
}

describe('VectorStoreModule', () => {
  it('provides the configured store built from injected settings', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        VectorStoreModule.forRootAsync({
          imports: [SettingsModule],
          inject: [DIMENSION],
          useFactory: (dimension: number) => ({ kind: 'in-process', inProcess: { dimension } }),
        }),
      ],
      providers: [Consumer],
    }).compile();
    const { store } = moduleRef.get(Consumer);
    expect(store).toBeInstanceOf(InProcessVectorStore);
    expect(store.dimension).toBe(3);
    await moduleRef.close();
  });
});
