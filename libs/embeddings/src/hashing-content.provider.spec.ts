import { dot, isFiniteVector, norm } from './embedding.math';
import { HashingContentEmbeddingProvider, tokenize } from './hashing-content.provider';

const provider = new HashingContentEmbeddingProvider(128);
const watches = {
  title: 'Vintage watches: Rolex & Omega auction',
  category: 'watches',
  tags: ['vintage', 'rolex'],
  language: 'en',
};

describe('HashingContentEmbeddingProvider', () => {
  it('tokenizes letters and digits, lower-cased, unicode aware', () => {
    expect(tokenize('Pokémon  151 — SEALED!')).toEqual(['pokémon', '151', 'sealed']);
  });

  it('is deterministic and unit length', async () => {
    const [a] = await provider.embed([watches]);
    const [b] = await new HashingContentEmbeddingProvider(128).embed([
      { ...watches, tags: [...watches.tags] },
    ]);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a).toHaveLength(128);
    expect(norm(a)).toBeCloseTo(1, 5);
  });

  it('puts streams of the same category and tags closer than unrelated ones', () => {
    const a = provider.embedOne(watches);
    const b = provider.embedOne({
      title: 'Omega Seamaster night',
      category: 'watches',
      tags: ['vintage'],
      language: 'en',
    });
    const c = provider.embedOne({
      title: 'Pokemon booster packs',
      category: 'trading-cards',
      tags: ['tcg'],
      language: 'de',
    });
    expect(dot(a, b)).toBeGreaterThan(dot(a, c) + 0.2);
  });

  it('stays finite for empty and huge inputs', () => {
    const empty = provider.embedOne({ title: '', category: '', tags: [], language: '' });
    expect(Array.from(empty).every((x) => x === 0)).toBe(true);
    const huge = provider.embedOne({
      title: 'x '.repeat(10_000),
      category: 'c'.repeat(1000),
      tags: Array.from({ length: 1000 }, (_, i) => `t${i}`),
      language: 'en',
    });
    expect(isFiniteVector(huge)).toBe(true);
    expect(norm(huge)).toBeCloseTo(1, 5);
  });
});
