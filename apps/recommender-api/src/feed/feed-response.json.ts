import { RANKING_SIGNALS, RankedItem, RankingCandidate } from '../ranking/ranking.types';
import { RankedPageItem } from '../ranking/ranking.service';
import { JsonBytesWriter } from './json-bytes.writer';

/**
 * A feed page as the service builds it: the ranked items as the ranker returns them (raw score and
 * reasons, the shared candidates), written to JSON by `feedPageJson` without an intermediate DTO.
 */
export interface FeedPage {
  items: readonly RankedItem[];
  asOf: number | null;
  generatedAt: number;
  requestId: string;
  rankingProfile: string;
  nextCursor: string | null;
  stale: boolean;
  degraded: boolean;
}

/**
 * The JSON of a 200 feed response, UTF-8: the same bytes as `JSON.stringify` of the FeedResponseDto
 * that `toItem` makes of each item (keys in the DTOs' order, strings escaped by JSON.stringify, score
 * and reasons rounded to 4 decimals, -0 as 0), written straight from the ranked items into one
 * buffer (JsonBytesWriter): no DTO, no reasons copy, no string per piece; a live stream's constant
 * start (`jsonHead`) is encoded once by the metrics cache when its metadata changes. The feed is the
 * hot route (budget ~300 us of CPU a request) and its page holds ~240 numbers: the 4-decimal values
 * are written from their integer ten-thousandths (same digits as the shortest round trip, see
 * `decimal`), ~3x cheaper than converting the double.
 */
export function feedPageJson(page: FeedPage): Buffer {
  const out = WRITER.reset();
  out.bytes(ITEMS_OPEN);
  const items = page.items;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out.bytes(COMMA);
    writeItem(out, items[i]);
  }
  out.bytes(AS_OF);
  out.text(page.asOf === null ? 'null' : decimal(page.asOf));
  out.bytes(GENERATED_AT);
  out.text(decimal(page.generatedAt));
  out.bytes(REQUEST_ID);
  out.text(JSON.stringify(page.requestId));
  out.bytes(RANKING_PROFILE);
  out.text(JSON.stringify(page.rankingProfile));
  out.bytes(NEXT_CURSOR);
  out.text(page.nextCursor === null ? 'null' : JSON.stringify(page.nextCursor));
  out.bytes(STALE);
  out.bytes(page.stale ? TRUE : FALSE);
  out.bytes(DEGRADED);
  out.bytes(page.degraded ? TRUE : FALSE);
  out.bytes(CLOSE);
  return out.copy();
}

/**
 * `{"streamId":…,"sellerId":…,"title":…,"category":…,"score":` of a candidate as UTF-8: the part of
 * its item that does not change from request to request (the metrics cache keeps it as `jsonHead`).
 */
export function itemJsonHead(
  c: Pick<RankingCandidate, 'streamId' | 'sellerId' | 'title' | 'category'>,
): Buffer {
  return Buffer.from(
    '{"streamId":' +
      JSON.stringify(c.streamId) +
      ',"sellerId":' +
      JSON.stringify(c.sellerId) +
      ',"title":' +
      JSON.stringify(c.title) +
      ',"category":' +
      JSON.stringify(c.category) +
      ',"score":',
    'utf8',
  );
}

/** The scratch every page is written into (synchronously, one page at a time). */
const WRITER = new JsonBytesWriter();
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const ITEMS_OPEN = ascii('{"items":[');
const COMMA = ascii(',');
const AS_OF = ascii('],"asOf":');
const GENERATED_AT = ascii(',"generatedAt":');
const REQUEST_ID = ascii(',"requestId":');
const RANKING_PROFILE = ascii(',"rankingProfile":');
const NEXT_CURSOR = ascii(',"nextCursor":');
const STALE = ascii(',"stale":');
const DEGRADED = ascii(',"degraded":');
const TRUE = ascii('true');
const FALSE = ascii('false');
const CLOSE = ascii('}');
const ITEM_CLOSE = ascii('}}');

// the reasons are written by name in this order: fail at load, not silently, if it changes
if (
  RANKING_SIGNALS.join() !==
  'similarity,repeat,follow,category,viewers,velocity,bids,chats,gmv,freshness,shownIgnored'
)
  throw new Error('RANKING_SIGNALS changed: check writeItem in feed-response.json.ts');
/** `,"reasons":{"similarity":`, then `,"repeat":` .. `,"shownIgnored":`, in RANKING_SIGNALS order. */
const REASON_KEYS = RANKING_SIGNALS.map((signal, i) =>
  ascii(i === 0 ? `,"reasons":{"${signal}":` : `,"${signal}":`),
);

function writeItem(out: JsonBytesWriter, item: RankedItem): void {
  const c = item.candidate;
  out.bytes(c.jsonHead ?? itemJsonHead(c));
  writeRounded(out, item.score);
  if (item instanceof RankedPageItem) {
    // the ranker's page: contributions read from its array, no reasons object built
    for (let s = 0; s < REASON_KEYS.length; s++) {
      out.bytes(REASON_KEYS[s]);
      writeRounded(out, item.contribution(s));
    }
  } else {
    const r = item.reasons;
    for (let s = 0; s < REASON_KEYS.length; s++) {
      out.bytes(REASON_KEYS[s]);
      writeRounded(out, r[RANKING_SIGNALS[s]]);
    }
  }
  out.bytes(ITEM_CLOSE);
}

/** `roundedDecimal(x)` written into `out` (digits from the ten-thousandths, no string). */
function writeRounded(out: JsonBytesWriter, x: number): void {
  const n = Math.round(x * 1e4);
  if (n < MAX_TEN_THOUSANDTHS && n > -MAX_TEN_THOUSANDTHS) out.tenThousandths(n);
  else out.text(decimal(n / 1e4 || 0));
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

/** n / 10^4 written in decimal (|n| < MAX_TEN_THOUSANDTHS, an integer; -0 is 0). */
function tenThousandths(n: number): string {
  if (n >= 0) return n < 10_000 ? UNDER_ONE[n] : Math.floor(n / 1e4) + FRACTIONS[n % 1e4];
  const abs = -n;
  return abs < 10_000 ? MINUS_UNDER_ONE[abs] : '-' + Math.floor(abs / 1e4) + FRACTIONS[abs % 1e4];
}

/**
 * `x` as JSON.stringify writes it. When x is exactly the double nearest to n / 10^4 for an integer
 * n (every value the feed rounds to 4 decimals), that decimal IS its shortest round-trip form
 * (another decimal that close would need more digits), so it is written from n; any other
 * number takes the general conversion, non-finite ones are null as in JSON.
 */
export function decimal(x: number): string {
  const n = Math.round(x * 1e4);
  if (n / 1e4 === x && n < MAX_TEN_THOUSANDTHS && n > -MAX_TEN_THOUSANDTHS) return tenThousandths(n);
  return Number.isFinite(x) ? String(x) : 'null';
}

/**
 * `decimal(round4(x))` with round4(x) = Math.round(x * 1e4) / 1e4 || 0 (what the item DTO holds):
 * written from the ten-thousandths at once (n / 1e4 is the double `decimal` would find them from).
 */
export function roundedDecimal(x: number): string {
  const n = Math.round(x * 1e4);
  if (n < MAX_TEN_THOUSANDTHS && n > -MAX_TEN_THOUSANDTHS) return tenThousandths(n);
  return decimal(n / 1e4 || 0);
}
