import { RANKING_SIGNALS } from '../ranking/ranking.types';
import { FeedItemDto, FeedResponseDto } from './feed.dto';

/**
 * The JSON of a 200 feed response: the same text as `JSON.stringify(response)` (keys in the DTOs'
 * order, strings escaped by JSON.stringify), written field by field. The feed is the hot route
 * (budget ~300 us of CPU a request) and its page holds ~240 numbers; converting a double to its
 * shortest decimal costs ~100-150 ns, so the 4-decimal values the feed rounds to are written from
 * their integer ten-thousandths instead (~3x cheaper; same digits, see `decimal`).
 */
export function feedResponseJson(response: FeedResponseDto): string {
  let json = '{"items":[';
  const items = response.items;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) json += ',';
    json += itemJson(items[i]);
  }
  return (
    json +
    '],"asOf":' +
    (response.asOf === null ? 'null' : decimal(response.asOf)) +
    ',"generatedAt":' +
    decimal(response.generatedAt) +
    ',"requestId":' +
    JSON.stringify(response.requestId) +
    ',"rankingProfile":' +
    JSON.stringify(response.rankingProfile) +
    ',"nextCursor":' +
    (response.nextCursor === null ? 'null' : JSON.stringify(response.nextCursor)) +
    ',"stale":' +
    (response.stale ? 'true' : 'false') +
    ',"degraded":' +
    (response.degraded ? 'true' : 'false') +
    '}'
  );
}

// itemJson writes the reasons by name in this order: fail at load, not silently, if it changes
if (
  RANKING_SIGNALS.join() !==
  'similarity,repeat,follow,category,viewers,velocity,bids,chats,gmv,freshness,shownIgnored'
)
  throw new Error('RANKING_SIGNALS changed: update itemJson in feed-response.json.ts');

function itemJson(item: FeedItemDto): string {
  const r = item.reasons;
  return (
    '{"streamId":' +
    JSON.stringify(item.streamId) +
    ',"sellerId":' +
    JSON.stringify(item.sellerId) +
    ',"title":' +
    JSON.stringify(item.title) +
    ',"category":' +
    JSON.stringify(item.category) +
    ',"score":' +
    decimal(item.score) +
    ',"reasons":{"similarity":' +
    decimal(r.similarity) +
    ',"repeat":' +
    decimal(r.repeat) +
    ',"follow":' +
    decimal(r.follow) +
    ',"category":' +
    decimal(r.category) +
    ',"viewers":' +
    decimal(r.viewers) +
    ',"velocity":' +
    decimal(r.velocity) +
    ',"bids":' +
    decimal(r.bids) +
    ',"chats":' +
    decimal(r.chats) +
    ',"gmv":' +
    decimal(r.gmv) +
    ',"freshness":' +
    decimal(r.freshness) +
    ',"shownIgnored":' +
    decimal(r.shownIgnored) +
    '}}'
  );
}

/** `.0001` .. `.9999` without trailing zeros, by ten-thousandths; '' for 0. */
const FRACTIONS = Array.from({ length: 10_000 }, (_, i) =>
  i === 0 ? '' : `.${String(i).padStart(4, '0')}`.replace(/0+$/, ''),
);
/**
 * `0`, `0.0001` .. `0.9999` and `-0.0001` .. `-0.9999`, whole: most values of a page (every reason
 * is a weight times a feature in [0, 1]) are written without building a string (~0.6 MB a process).
 */
const UNDER_ONE = FRACTIONS.map((fraction) => (fraction === '' ? '0' : `0${fraction}`));
const MINUS_UNDER_ONE = FRACTIONS.map((fraction) => (fraction === '' ? '0' : `-0${fraction}`));

/** Beyond this many ten-thousandths a double's spacing nears 1e-8: the general path is taken. */
const MAX_TEN_THOUSANDTHS = 1e12;

/**
 * `x` as JSON.stringify writes it. When x is exactly the double nearest to n / 10^4 for an integer
 * n (every value the feed rounds to 4 decimals), that decimal IS its shortest round-trip form
 * (another decimal that close would need more digits), so it is written from n; any other
 * number takes the general conversion, non-finite ones are null as in JSON.
 */
export function decimal(x: number): string {
  const n = Math.round(x * 1e4);
  if (n / 1e4 === x && n < MAX_TEN_THOUSANDTHS && n > -MAX_TEN_THOUSANDTHS) {
    if (n >= 0) return n < 10_000 ? UNDER_ONE[n] : Math.floor(n / 1e4) + FRACTIONS[n % 1e4];
    const abs = -n;
    return abs < 10_000 ? MINUS_UNDER_ONE[abs] : '-' + Math.floor(abs / 1e4) + FRACTIONS[abs % 1e4];
  }
  return Number.isFinite(x) ? String(x) : 'null';
}
