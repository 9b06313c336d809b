import { Rng } from './random';
import { Seller, User, World } from './world';

export interface Auction {
  id: string;
  startingPrice: number;
  /** What the room will pay at most (major units): no bid goes above it, so prices converge. */
  ceiling: number;
  /** Highest bid so far, major units (0 before the first bid). */
  price: number;
  /** User index of the highest bidder, -1 before the first bid. */
  leader: number;
}

export interface ViewSlot {
  user: User;
  stream: LiveStream;
  startedAt: number;
  /** Positions in the global and per-stream viewer arrays (swap-remove); -1 once left. */
  pos: number;
  streamPos: number;
}

export interface LiveStream {
  id: string;
  seller: Seller;
  startedAt: number;
  alive: boolean;
  viewers: ViewSlot[];
  auction: Auction | null;
  auctionSeq: number;
  giveaway: { entered: Set<number> } | null;
  /** Position in its category's live list (swap-remove). */
  categoryPos: number;
}

/** Candidates looked at when choosing a new stream in a crowded category (keeps choice O(1)). */
const MAX_CANDIDATES = 48;

/** The live streams by category, and the viewers watching them. */
export class LiveStreams {
  private readonly byCategory: LiveStream[][];
  private readonly bySeller: (LiveStream | undefined)[] = [];
  /** Everyone watching something now. */
  readonly viewers: ViewSlot[] = [];
  count = 0;

  constructor(private readonly world: World) {
    this.byCategory = world.categories.map(() => []);
  }

  add(stream: LiveStream): void {
    const list = this.byCategory[stream.seller.category];
    stream.categoryPos = list.length;
    list.push(stream);
    this.bySeller[stream.seller.index] = stream;
    stream.seller.live = true;
    this.count++;
  }

  remove(stream: LiveStream): void {
    const list = this.byCategory[stream.seller.category];
    const last = list.pop() as LiveStream;
    if (last !== stream) {
      list[stream.categoryPos] = last;
      last.categoryPos = stream.categoryPos;
    }
    stream.categoryPos = -1;
    this.bySeller[stream.seller.index] = undefined;
    stream.alive = false;
    stream.seller.live = false;
    this.count--;
  }

  /** The live stream of a seller, if any (favourites look-up). */
  liveStreamOf(seller: Seller): LiveStream | undefined {
    return this.bySeller[seller.index];
  }

  watch(user: User, stream: LiveStream, now: number): ViewSlot {
    const slot: ViewSlot = {
      user,
      stream,
      startedAt: now,
      pos: this.viewers.length,
      streamPos: stream.viewers.length,
    };
    this.viewers.push(slot);
    stream.viewers.push(slot);
    return slot;
  }

  leave(slot: ViewSlot): void {
    const last = this.viewers.pop() as ViewSlot;
    if (last !== slot) {
      this.viewers[slot.pos] = last;
      last.pos = slot.pos;
    }
    const list = slot.stream.viewers;
    const lastInStream = list.pop() as ViewSlot;
    if (lastInStream !== slot) {
      list[slot.streamPos] = lastInStream;
      lastInStream.streamPos = slot.streamPos;
    }
    slot.pos = -1;
    slot.streamPos = -1;
  }

  /**
   * Where a user goes: back to a live favourite seller with probability `repeatAffinity`
   * (weighted by how much they watched each), else a stream drawn by taste over categories,
   * then by seller popularity and language match within the category.
   */
  choose(user: User, rng: Rng, repeatAffinity: number): LiveStream | undefined {
    if (rng.chance(repeatAffinity)) {
      const favourite = this.liveFavourite(user, rng);
      if (favourite) return favourite;
    }
    return this.chooseNew(user, rng);
  }

  private liveFavourite(user: User, rng: Rng): LiveStream | undefined {
    let total = 0;
    for (let i = 0; i < user.favourites.length; i++) {
      if (this.world.sellers[user.favourites[i]].live) total += user.favouriteWeights[i];
    }
    if (total === 0) return undefined;
    let x = rng.next() * total;
    for (let i = 0; i < user.favourites.length; i++) {
      const seller = this.world.sellers[user.favourites[i]];
      if (!seller.live) continue;
      x -= user.favouriteWeights[i];
      if (x < 0) return this.liveStreamOf(seller);
    }
    return undefined;
  }

  private chooseNew(user: User, rng: Rng): LiveStream | undefined {
    if (this.count === 0) return undefined;
    const weights = new Float64Array(this.byCategory.length);
    const explore = rng.chance(0.1);
    for (let c = 0; c < weights.length; c++) {
      weights[c] = this.byCategory[c].length === 0 ? 0 : explore ? 1 : user.tastes[c];
    }
    const list = this.byCategory[rng.weightedIndex(weights)];
    const n = Math.min(list.length, MAX_CANDIDATES);
    const candidates: LiveStream[] = [];
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const stream = list.length <= MAX_CANDIDATES ? list[i] : list[rng.int(list.length)];
      candidates.push(stream);
      scores[i] = stream.seller.popularity * this.world.languageMatch(user, stream.seller.language);
    }
    return candidates[rng.weightedIndex(scores)];
  }
}
