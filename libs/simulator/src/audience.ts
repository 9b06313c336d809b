import { Auction, LiveStream, ViewSlot } from './live-streams';
import { MINUTE, SECOND, SimulationContext, cents } from './simulation-context';
import { User } from './world';

/** sigma of the log-normal view length: median watchMinutes, mean ~1.5x, long tail. */
const WATCH_SIGMA = 0.9;
/** Per-viewer action weights per draw (thinning: a draw above a user's propensity does nothing). */
const CHAT_WEIGHT = 0.05;
const BID_WEIGHT = 0.12;
const GIVEAWAY_WEIGHT = 0.05;
const BUY_WEIGHT = 0.0015;
const ACTION_WEIGHT_TOTAL = CHAT_WEIGHT + BID_WEIGHT + GIVEAWAY_WEIGHT + BUY_WEIGHT;

/** Mean view length (ms) for a median of `watchMinutes` (log-normal). */
export function meanViewMs(watchMinutes: number): number {
  return watchMinutes * MINUTE * Math.exp((WATCH_SIGMA * WATCH_SIGMA) / 2);
}

/** Users: sessions, choosing streams, watching, chatting, bidding, buying, following. */
export class Audience {
  constructor(private readonly ctx: SimulationContext) {}

  join(user: User, stream: LiveStream | null): void {
    const target = stream ?? this.ctx.live.choose(user, this.ctx.rng, this.ctx.options.repeatAffinity);
    if (!target) {
      user.online = false;
      return;
    }
    user.online = true;
    const slot = this.ctx.live.watch(user, target, this.ctx.now);
    this.ctx.emit('view.started', { userId: user.id, streamId: target.id });
    const watchMs = Math.min(
      4 * 60 * MINUTE,
      this.ctx.rng.logNormal(this.ctx.options.watchMinutes * MINUTE, WATCH_SIGMA),
    );
    this.ctx.queue.push(this.ctx.now + watchMs, { kind: 'leave', slot });
  }

  /** After a view: remember the seller, maybe follow, then hop to another stream or go offline. */
  finishView(slot: ViewSlot, mayHop: boolean): void {
    this.ctx.live.leave(slot);
    const { user, stream } = slot;
    const seller = stream.seller;
    const watchedMs = this.ctx.now - slot.startedAt;
    this.ctx.world.addFavourite(user, seller.index, 1 + Math.min(2, watchedMs / (10 * MINUTE)));
    if (mayHop) {
      const following = user.follows.has(seller.index);
      const views = user.favouriteWeights[user.favourites.indexOf(seller.index)] ?? 1;
      if (!following && watchedMs > MINUTE && this.ctx.rng.chance(0.04 * Math.min(4, views))) {
        user.follows.add(seller.index);
        this.ctx.emit('seller.followed', { userId: user.id, sellerId: seller.id });
      } else if (following && this.ctx.rng.chance(0.003)) {
        user.follows.delete(seller.index);
        this.ctx.emit('seller.unfollowed', { userId: user.id, sellerId: seller.id });
      }
    }
    if (mayHop && this.ctx.rng.chance(this.ctx.options.hopProbability)) {
      this.ctx.queue.push(this.ctx.now + this.ctx.rng.exp(20 * SECOND), { kind: 'join', user, stream: null });
    } else {
      user.online = false;
    }
  }

  /** One draw of the in-view activity process: a random viewer maybe does something; false if nobody watches. */
  activity(): boolean {
    const viewers = this.ctx.live.viewers;
    if (viewers.length === 0) return false;
    const slot = viewers[this.ctx.rng.int(viewers.length)];
    const { user, stream } = slot;
    let x = this.ctx.rng.next() * ACTION_WEIGHT_TOTAL;
    if ((x -= CHAT_WEIGHT) < 0) {
      if (x + CHAT_WEIGHT < CHAT_WEIGHT * user.chattiness)
        this.ctx.emit('chat.message', { userId: user.id, streamId: stream.id });
    } else if ((x -= BID_WEIGHT) < 0) {
      if (stream.auction && x + BID_WEIGHT < BID_WEIGHT * user.bidding)
        this.bid(user, stream, stream.auction);
    } else if ((x -= GIVEAWAY_WEIGHT) < 0) {
      const giveaway = stream.giveaway;
      if (giveaway && !giveaway.entered.has(user.index)) {
        giveaway.entered.add(user.index);
        this.ctx.emit('giveaway.entered', { userId: user.id, streamId: stream.id });
      }
    } else if (x + BUY_WEIGHT < BUY_WEIGHT * user.spending) {
      const category = this.ctx.world.categories[stream.seller.category];
      const amount = Math.max(
        0.5,
        cents(category.priceLevel * stream.seller.priceFactor * this.ctx.rng.logNormal(0.8, 0.5)),
      );
      this.ctx.emit('purchase.completed', {
        userId: user.id,
        streamId: stream.id,
        amount,
        currency: stream.seller.currency,
      });
    }
    return true;
  }

  private bid(user: User, stream: LiveStream, auction: Auction): void {
    if (auction.leader === user.index) return;
    const amount =
      auction.leader === -1
        ? auction.startingPrice
        : cents(auction.price + Math.max(1, auction.price * this.ctx.rng.range(0.03, 0.1)));
    if (auction.leader !== -1 && amount > auction.ceiling) return;
    auction.price = amount;
    auction.leader = user.index;
    this.ctx.emit('bid.placed', {
      userId: user.id,
      streamId: stream.id,
      auctionId: auction.id,
      amount,
      currency: stream.seller.currency,
    });
  }
  /** Active users come back more often: user index drawn with density ~ 1/sqrt(index). */
  pickOfflineUser(): User | undefined {
    for (let attempt = 0; attempt < 8; attempt++) {
      const user = this.ctx.world.user(Math.floor(this.ctx.options.users * this.ctx.rng.next() ** 2));
      if (!user.online) return user;
    }
    return undefined;
  }
}
