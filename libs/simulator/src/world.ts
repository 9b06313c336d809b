import { CategorySpec, LanguageSpec } from './catalog';
import { Rng, mixSeed } from './random';
import { ResolvedSimulatorOptions } from './simulator.options';

export interface Seller {
  index: number;
  id: string;
  category: number;
  language: number;
  currency: string;
  /** Heavy-tailed (Pareto) draw: how attractive the seller is to a new viewer. */
  popularity: number;
  /** Multiplies the category's price level. */
  priceFactor: number;
  /** Mean offline time between shows, ms (the seller's schedule). */
  meanGapMs: number;
  showSeq: number;
  live: boolean;
  /** Users with this seller among their favourites: told when it goes live. */
  fans: Set<number>;
}

export interface User {
  index: number;
  id: string;
  language: number;
  /** Also watches English streams. */
  bilingual: boolean;
  /** Latent taste per category (sums to 1). */
  tastes: Float64Array;
  /** In [0, 1]: how often this user chats / bids / buys when watching. */
  chattiness: number;
  bidding: number;
  spending: number;
  /** Favourite sellers (index) and how much they were watched; bounded. */
  favourites: number[];
  favouriteWeights: number[];
  follows: Set<number>;
  /** In a session (watching, or between two streams of one session, or about to join). */
  online: boolean;
}

/** Most favourite sellers remembered per user. */
export const MAX_FAVOURITES = 12;

/**
 * The static part of the world: sellers (all created up front) and users (created on first use
 * from a per-user seed, so memory follows the active population and attributes do not depend on
 * the order users are met in).
 */
export class World {
  readonly sellers: Seller[] = [];
  private readonly users: (User | undefined)[];
  /** Sellers per category x language, with cumulative popularity for sampling. */
  private readonly buckets: { sellers: number[]; cumulative: number[] }[][];
  private readonly categoryWeights: number[];
  private readonly languageWeights: number[];
  usersCreated = 0;

  constructor(
    readonly options: ResolvedSimulatorOptions,
    rng: Rng,
  ) {
    const { categories, languages } = options;
    this.categoryWeights = categories.map((c) => c.weight);
    this.languageWeights = languages.map((l) => l.weight);
    this.users = new Array<User | undefined>(options.users);
    this.buckets = categories.map(() => languages.map(() => ({ sellers: [], cumulative: [] })));
    const showMeanMs = options.showMinutes * 60_000 * Math.exp(0.5 * 0.5 * 0.5);
    const meanGapMs = (showMeanMs * (1 - options.liveFraction)) / options.liveFraction;
    for (let i = 0; i < options.sellers; i++) {
      const category = rng.weightedIndex(this.categoryWeights);
      const language = rng.weightedIndex(this.languageWeights);
      const seller: Seller = {
        index: i,
        id: `${options.idPrefix}seller-${i}`,
        category,
        language,
        currency: languages[language].currency,
        popularity: Math.min(1_000, rng.pareto(1.2)),
        priceFactor: rng.logNormal(1, 0.4),
        meanGapMs: (meanGapMs * rng.logNormal(1, 0.5)) / Math.exp(0.125),
        showSeq: 0,
        live: false,
        fans: new Set(),
      };
      this.sellers.push(seller);
      const bucket = this.buckets[category][language];
      bucket.sellers.push(i);
      bucket.cumulative.push((bucket.cumulative.at(-1) ?? 0) + seller.popularity);
    }
  }

  get categories(): readonly CategorySpec[] {
    return this.options.categories;
  }

  get languages(): readonly LanguageSpec[] {
    return this.options.languages;
  }

  user(index: number): User {
    return this.users[index] ?? this.createUser(index);
  }

  /** 1 for the user's language, 0.6 for English if bilingual, small otherwise. */
  languageMatch(user: User, language: number): number {
    if (language === user.language) return 1;
    if (user.bilingual && this.languages[language].tag === 'en') return 0.6;
    return 0.03;
  }

  /** A seller drawn by taste, language and popularity among all sellers (prior favourites). */
  drawSeller(user: User, rng: Rng): number {
    const category = rng.weightedIndex(user.tastes);
    const language = rng.chance(0.85) || !user.bilingual ? user.language : this.englishIndex();
    const bucket = this.buckets[category][language];
    if (bucket.sellers.length === 0) return rng.int(this.sellers.length);
    const x = rng.next() * (bucket.cumulative.at(-1) ?? 0);
    let lo = 0;
    let hi = bucket.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (bucket.cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return bucket.sellers[lo];
  }

  private englishIndex(): number {
    const index = this.languages.findIndex((l) => l.tag === 'en');
    return index === -1 ? 0 : index;
  }

  private createUser(index: number): User {
    const rng = new Rng(mixSeed(this.options.seed, 0x5eed, index));
    const tastes = new Float64Array(this.categories.length).fill(0.03);
    tastes[rng.weightedIndex(this.categoryWeights)] += 1;
    tastes[rng.weightedIndex(this.categoryWeights)] += 0.35;
    const total = tastes.reduce((a, b) => a + b, 0);
    for (let c = 0; c < tastes.length; c++) tastes[c] /= total;
    const user: User = {
      index,
      id: `${this.options.idPrefix}user-${index}`,
      language: rng.weightedIndex(this.languageWeights),
      bilingual: rng.chance(0.3),
      tastes,
      chattiness: Math.min(1, rng.next() ** 2 * 1.2),
      bidding: rng.chance(0.25) ? rng.range(0.1, 1) : 0,
      spending: rng.next() ** 3,
      favourites: [],
      favouriteWeights: [],
      follows: new Set(),
      online: false,
    };
    // Prior history: the log starts in the middle of the platform's life, so users already have
    // a few favourite sellers (they drive notification joins and repeat views from the start).
    const priors = 1 + rng.int(3);
    for (let i = 0; i < priors; i++) this.addFavourite(user, this.drawSeller(user, rng), 1 + rng.int(3));
    this.users[index] = user;
    this.usersCreated++;
    return user;
  }

  /** Adds watch weight to a favourite; the least watched one is forgotten past MAX_FAVOURITES. */
  addFavourite(user: User, seller: number, weight: number): void {
    const at = user.favourites.indexOf(seller);
    if (at !== -1) {
      user.favouriteWeights[at] += weight;
      return;
    }
    if (user.favourites.length >= MAX_FAVOURITES) {
      let weakest = 0;
      for (let i = 1; i < user.favourites.length; i++) {
        if (user.favouriteWeights[i] < user.favouriteWeights[weakest]) weakest = i;
      }
      this.sellers[user.favourites[weakest]].fans.delete(user.index);
      user.favourites.splice(weakest, 1);
      user.favouriteWeights.splice(weakest, 1);
    }
    user.favourites.push(seller);
    user.favouriteWeights.push(weight);
    this.sellers[seller].fans.add(user.index);
  }
}
