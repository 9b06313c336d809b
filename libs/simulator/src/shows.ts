import { TITLE_OPENERS } from './catalog';
import { Auction, LiveStream } from './live-streams';
import { Audience } from './audience';
import { MINUTE, SECOND, SimulationContext, StopKind } from './simulation-context';
import { Seller } from './world';

/** Fans who join when a favourite goes live (the notification effect). */
const NOTIFY_PROBABILITY = 0.3;

/** Sellers' shows: going live, heartbeats, auctions, giveaways, ending. */
export class Shows {
  constructor(
    private readonly ctx: SimulationContext,
    private readonly audience: Audience,
  ) {}

  /** `remaining`: share of the drawn show length still to run (1 for a show that starts now). */
  startStream(seller: Seller, remaining: number): void {
    seller.showSeq++;
    const stream: LiveStream = {
      id: `${this.ctx.options.idPrefix}stream-${seller.index}-${seller.showSeq}`,
      seller,
      startedAt: this.ctx.now,
      alive: true,
      viewers: [],
      auction: null,
      auctionSeq: 0,
      giveaway: null,
      categoryPos: -1,
    };
    this.ctx.live.add(stream);
    const category = this.ctx.world.categories[seller.category];
    const tags = [
      ...new Set([
        this.ctx.rng.pick(category.tags),
        this.ctx.rng.pick(category.tags),
        this.ctx.rng.pick(category.tags),
      ]),
    ];
    this.ctx.emit('stream.started', {
      streamId: stream.id,
      sellerId: seller.id,
      title: this.title(seller),
      category: category.id,
      tags,
      language: this.ctx.world.languages[seller.language].tag,
    });
    const showMs =
      remaining *
      Math.min(8 * 60 * MINUTE, this.ctx.rng.logNormal(this.ctx.options.showMinutes * MINUTE, 0.5));
    const r = this.ctx.rng.next();
    const how: StopKind =
      r < this.ctx.options.removalRate
        ? 'removed'
        : r < this.ctx.options.removalRate + this.ctx.options.silentDeathRate
          ? 'silent'
          : 'ended';
    const stopAt = this.ctx.now + (how === 'removed' ? this.ctx.rng.range(0.2, 1) : 1) * showMs;
    this.ctx.queue.push(stopAt, { kind: 'stream-stop', stream, how });
    this.ctx.queue.push(this.ctx.now + this.ctx.rng.range(15, 30) * SECOND, { kind: 'heartbeat', stream });
    this.ctx.queue.push(this.ctx.now + this.ctx.rng.exp(MINUTE), { kind: 'auction-start', stream });
    this.ctx.queue.push(this.ctx.now + this.ctx.rng.exp(5 * MINUTE), { kind: 'giveaway-start', stream });
    if (this.ctx.rng.chance(0.3))
      this.ctx.queue.push(this.ctx.now + this.ctx.rng.range(0.1, 0.8) * showMs, {
        kind: 'stream-update',
        stream,
      });
    // Fans hear that a favourite went live: the main driver of repeat viewing.
    for (const fan of seller.fans) {
      const user = this.ctx.world.user(fan);
      if (user.online || !this.ctx.rng.chance(NOTIFY_PROBABILITY)) continue;
      user.online = true;
      this.ctx.queue.push(this.ctx.now + this.ctx.rng.exp(90 * SECOND), { kind: 'join', user, stream });
    }
  }

  stopStream(stream: LiveStream, how: StopKind): void {
    if (!stream.alive) return;
    this.ctx.live.remove(stream);
    if (how === 'ended') this.ctx.emit('stream.ended', { streamId: stream.id });
    if (how === 'removed')
      this.ctx.emit('stream.removed', { streamId: stream.id, reason: 'moderation: policy violation' });
    // Viewers of an ended or removed stream leave with it; a silently dead stream just stops
    // sending anything (its viewers' clients go quiet too), so only the lease can end it.
    for (const slot of [...stream.viewers]) {
      if (how !== 'silent') this.ctx.emit('view.ended', { userId: slot.user.id, streamId: stream.id });
      this.audience.finishView(slot, how !== 'silent');
    }
    this.ctx.queue.push(this.ctx.now + this.ctx.rng.exp(stream.seller.meanGapMs), {
      kind: 'stream-start',
      seller: stream.seller,
    });
  }

  title(seller: Seller): string {
    const category = this.ctx.world.categories[seller.category];
    return `${this.ctx.rng.pick(TITLE_OPENERS)} ${this.ctx.rng.pick(category.nouns)} #${seller.showSeq}`;
  }

  startAuction(stream: LiveStream): void {
    if (!stream.alive) return;
    const category = this.ctx.world.categories[stream.seller.category];
    const startingPrice = Math.max(
      1,
      Math.round(category.priceLevel * stream.seller.priceFactor * this.ctx.rng.logNormal(1, 0.6)),
    );
    const auction: Auction = {
      id: `${stream.id}-a${++stream.auctionSeq}`,
      startingPrice,
      ceiling: startingPrice * this.ctx.rng.logNormal(2, 0.5),
      price: 0,
      leader: -1,
    };
    stream.auction = auction;
    this.ctx.emit('auction.started', {
      streamId: stream.id,
      auctionId: auction.id,
      startingPrice,
      currency: stream.seller.currency,
    });
    this.ctx.queue.push(this.ctx.now + this.ctx.rng.range(30, 90) * SECOND, {
      kind: 'auction-end',
      stream,
      auction,
    });
  }

  endAuction(stream: LiveStream, auction: Auction): void {
    if (stream.auction === auction) stream.auction = null;
    if (auction.leader !== -1) {
      this.ctx.emit('purchase.completed', {
        userId: this.ctx.world.user(auction.leader).id,
        streamId: stream.id,
        amount: auction.price,
        currency: stream.seller.currency,
      });
    }
    if (stream.alive)
      this.ctx.queue.push(this.ctx.now + this.ctx.rng.exp(2 * MINUTE), { kind: 'auction-start', stream });
  }
}
