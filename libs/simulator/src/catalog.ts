/** The marketplace's categories and languages: who sells what, at which prices, to whom. */

export interface CategorySpec {
  id: string;
  /** Share of sellers and of users' first taste (relative weights). */
  weight: number;
  /** Typical starting price of an auction, major units. */
  priceLevel: number;
  nouns: readonly string[];
  tags: readonly string[];
}

export interface LanguageSpec {
  tag: string;
  weight: number;
  currency: string;
}

export const DEFAULT_CATEGORIES: readonly CategorySpec[] = [
  {
    id: 'trading-cards',
    weight: 20,
    priceLevel: 15,
    nouns: ['Pokemon packs', 'sports cards', 'graded slabs'],
    tags: ['pokemon', 'psa', 'rookie', 'booster'],
  },
  {
    id: 'sneakers',
    weight: 12,
    priceLevel: 120,
    nouns: ['Jordans', 'Dunks', 'runners'],
    tags: ['nike', 'jordan', 'deadstock', 'size-10'],
  },
  {
    id: 'watches',
    weight: 6,
    priceLevel: 200,
    nouns: ['vintage watches', 'Seikos', 'divers'],
    tags: ['vintage', 'seiko', 'omega', 'automatic'],
  },
  {
    id: 'vintage-clothing',
    weight: 10,
    priceLevel: 30,
    nouns: ['90s tees', 'denim', 'jackets'],
    tags: ['90s', 'levis', 'band-tee', 'streetwear'],
  },
  {
    id: 'comics',
    weight: 6,
    priceLevel: 20,
    nouns: ['key issues', 'graded comics', 'first prints'],
    tags: ['marvel', 'cgc', 'key-issue', 'dc'],
  },
  {
    id: 'toys',
    weight: 8,
    priceLevel: 25,
    nouns: ['action figures', 'LEGO sets', 'funkos'],
    tags: ['lego', 'funko', 'star-wars', 'sealed'],
  },
  {
    id: 'jewelry',
    weight: 7,
    priceLevel: 60,
    nouns: ['silver rings', 'gold chains', 'gemstones'],
    tags: ['silver', 'gold', 'handmade', 'gemstone'],
  },
  {
    id: 'electronics',
    weight: 6,
    priceLevel: 90,
    nouns: ['retro consoles', 'headphones', 'cameras'],
    tags: ['retro', 'nintendo', 'film-camera', 'audio'],
  },
  {
    id: 'beauty',
    weight: 8,
    priceLevel: 18,
    nouns: ['skincare sets', 'fragrances', 'makeup'],
    tags: ['skincare', 'kbeauty', 'fragrance', 'bundle'],
  },
  {
    id: 'home-decor',
    weight: 5,
    priceLevel: 40,
    nouns: ['mid-century finds', 'ceramics', 'prints'],
    tags: ['mcm', 'ceramics', 'art', 'thrift'],
  },
  {
    id: 'coins',
    weight: 5,
    priceLevel: 50,
    nouns: ['silver rounds', 'old coins', 'bullion'],
    tags: ['silver', 'bullion', 'ancient', 'graded'],
  },
  {
    id: 'books',
    weight: 7,
    priceLevel: 12,
    nouns: ['first editions', 'manga lots', 'signed copies'],
    tags: ['manga', 'first-edition', 'signed', 'lot'],
  },
];

export const DEFAULT_LANGUAGES: readonly LanguageSpec[] = [
  { tag: 'en', weight: 60, currency: 'USD' },
  { tag: 'es', weight: 14, currency: 'EUR' },
  { tag: 'de', weight: 9, currency: 'EUR' },
  { tag: 'fr', weight: 8, currency: 'EUR' },
  { tag: 'pt-BR', weight: 9, currency: 'BRL' },
];

export const TITLE_OPENERS: readonly string[] = [
  'Live now:',
  'Big breaks:',
  'Starting at $1:',
  'Late night',
  'Friday drop:',
  'Collector night:',
  'Fresh finds:',
  'Mystery',
];
