import { NowcastEvent } from '@app/contracts';
import { LiveCandidate, Ranker, orderByScore } from './ranker.interface';

/** POP: live streams ordered by how often their seller has been watched so far (view.started). */
export class PopularityRanker implements Ranker {
  readonly name: string = 'pop';
  /** streamId -> sellerId, from stream.started (views name the stream, popularity counts the seller). */
  protected readonly sellerOf = new Map<string, string>();
  protected readonly views = new Map<string, number>();

  observe(event: NowcastEvent): void {
    if (event.type === 'stream.started') this.sellerOf.set(event.data.streamId, event.data.sellerId);
    if (event.type !== 'view.started') return;
    const sellerId = this.sellerOf.get(event.data.streamId);
    if (sellerId !== undefined) this.views.set(sellerId, (this.views.get(sellerId) ?? 0) + 1);
  }

  rank(_userId: string, candidates: readonly LiveCandidate[]): readonly string[] {
    return orderByScore(candidates, (c) => this.views.get(c.sellerId) ?? 0);
  }
}

/** REP: the user's most watched live sellers first, ties (incl. never watched) by POP. */
export class RepeatRanker extends PopularityRanker {
  override readonly name: string = 'rep';
  private readonly byUser = new Map<string, Map<string, number>>();

  override observe(event: NowcastEvent): void {
    super.observe(event);
    if (event.type !== 'view.started') return;
    const sellerId = this.sellerOf.get(event.data.streamId);
    if (sellerId === undefined) return;
    let counts = this.byUser.get(event.data.userId);
    if (!counts) this.byUser.set(event.data.userId, (counts = new Map<string, number>()));
    counts.set(sellerId, (counts.get(sellerId) ?? 0) + 1);
  }

  override rank(userId: string, candidates: readonly LiveCandidate[]): readonly string[] {
    const own = this.byUser.get(userId);
    let maxPop = 0;
    for (const c of candidates) maxPop = Math.max(maxPop, this.views.get(c.sellerId) ?? 0);
    // the user's own count dominates; popularity / (maxPop + 1) < 1 only breaks its ties
    return orderByScore(
      candidates,
      (c) => (own?.get(c.sellerId) ?? 0) + (this.views.get(c.sellerId) ?? 0) / (maxPop + 1),
    );
  }
}
