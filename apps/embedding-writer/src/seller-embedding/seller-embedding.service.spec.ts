import { SellerEmbeddingService } from './seller-embedding.service';

const HOUR = 3600_000;

function train(service: SellerEmbeddingService): void {
  // 40 users watch both s1 and s2; 40 others watch s3 and s4; never across the groups
  let t = 0;
  for (let round = 0; round < 5; round++) {
    for (let u = 0; u < 40; u++) {
      service.observe(`a${u}`, 's1', (t += 1000));
      service.observe(`a${u}`, 's2', (t += 1000));
      service.observe(`b${u}`, 's3', (t += 1000));
      service.observe(`b${u}`, 's4', (t += 1000));
    }
  }
}

describe('SellerEmbeddingService (online item2vec)', () => {
  it('moves co-engaged sellers closer and keeps the others apart', () => {
    const service = new SellerEmbeddingService({ dimension: 32 });
    const before = service.similarity('s1', 's2');
    train(service);
    expect(service.similarity('s1', 's2')).toBeGreaterThan(before + 0.3);
    expect(service.similarity('s1', 's2')).toBeGreaterThan(service.similarity('s1', 's3') + 0.3);
    expect(service.similarity('s3', 's4')).toBeGreaterThan(service.similarity('s2', 's4') + 0.3);
  });

  it('is deterministic for a given event order', () => {
    const a = new SellerEmbeddingService({ dimension: 32 });
    const b = new SellerEmbeddingService({ dimension: 32 });
    train(a);
    train(b);
    expect(Array.from(a.vectorOf('s1'))).toEqual(Array.from(b.vectorOf('s1')));
    expect(Array.from(a.vectorOf('s4'))).toEqual(Array.from(b.vectorOf('s4')));
  });

  it('does not pair engagements further apart than the window', () => {
    const service = new SellerEmbeddingService({ dimension: 16, coEngagementWindowMs: HOUR });
    const before = Array.from(service.vectorOf('s1'));
    service.observe('u', 's1', 0);
    expect(service.observe('u', 's2', 2 * HOUR)).toEqual([]);
    expect(Array.from(service.vectorOf('s1'))).toEqual(before);
    expect(service.observe('u', 's3', 2 * HOUR + 1000)).toEqual(expect.arrayContaining(['s2', 's3']));
  });

  it('keeps vectors finite and bounded under extreme learning rates and weights', () => {
    const service = new SellerEmbeddingService({ dimension: 16, learningRate: 1 });
    for (let i = 0; i < 500; i++) service.observe(`u${i % 3}`, `s${i % 5}`, i, 1e12);
    for (let s = 0; s < 5; s++) {
      const v = service.vectorOf(`s${s}`);
      expect(v.every((x) => Number.isFinite(x))).toBe(true);
      expect(Math.hypot(...v)).toBeLessThanOrEqual(4.0001);
    }
  });

  it('drops contexts idle for a whole window and learns exactly what it would have kept them', () => {
    const swept = new SellerEmbeddingService({ dimension: 16, coEngagementWindowMs: HOUR });
    const kept = new SellerEmbeddingService({ dimension: 16, coEngagementWindowMs: HOUR });
    // ten hours, five users an hour, one engagement a minute; every third hour hour 0's users come back
    let t = 0;
    for (let round = 0; round < 600; round++) {
      t += 60_000;
      const hour = Math.floor(round / 60);
      const user = `u${hour % 3 === 2 ? 0 : hour}-${round % 5}`;
      const seller = `s${round % 9}`;
      for (const service of [swept, kept]) service.observe(user, seller, t);
      if (round % 10 === 0) swept.sweepIdle(t);
    }
    expect(swept.contexts).toBeLessThan(kept.contexts);
    for (let s = 0; s < 9; s++)
      expect(Array.from(swept.vectorOf(`s${s}`))).toEqual(Array.from(kept.vectorOf(`s${s}`)));
  });
});
