import { bufferToFloat32 } from '@app/vector-store';
import { UserStateRows } from './user-state.repository';

/**
 * read-user-state.lua's reply: the vector bytes, then six space-separated lists (sellers with
 * scores, their counts, follows, categories with scores, shown with times, their counts).
 */
export type UserStateReply = [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];

/** A reply that is not what read-user-state.lua returns (the repository answers degraded). */
export class MalformedUserStateReplyError extends Error {
  override readonly name = 'MalformedUserStateReplyError';
}

/** Counts per seller read (chats, bids, purchases, watchMs) and per stream shown (impressions, clicks). */
const SELLER_COUNTS = 4;
const SHOWN_COUNTS = 2;

/**
 * The reply as the rows userStateOf() turns into signals, with the values the old per-element
 * reply gave: scores and times parsed with Number() from Redis' own text, a count absent ('') or
 * unparsable read as 0. Lists whose lengths do not match (an id with a space, which the layout
 * rules out) make the reply malformed.
 */
export function decodeUserStateReply(reply: unknown, dimension: number): UserStateRows {
  if (!isReply(reply)) throw new MalformedUserStateReplyError('not a 7-part reply');
  const [
    vectorBytes,
    sellersText,
    sellerCountsText,
    followsText,
    categoriesText,
    shownText,
    shownCountsText,
  ] = reply;
  const rows: UserStateRows = {
    vector: vectorOf(vectorBytes, dimension),
    sellers: [],
    categories: [],
    follows: tokens(followsText),
    shown: [],
  };
  const sellers = pairs(sellersText);
  const sellerCounts = countsOf(sellerCountsText, sellers.length / 2, SELLER_COUNTS);
  for (let i = 0, j = 0; i < sellers.length; i += 2, j += SELLER_COUNTS) {
    rows.sellers.push({
      sellerId: sellers[i],
      weight: Number(sellers[i + 1]),
      chats: count(sellerCounts[j]),
      bids: count(sellerCounts[j + 1]),
      purchases: count(sellerCounts[j + 2]),
      watchMs: count(sellerCounts[j + 3]),
    });
  }
  const categories = pairs(categoriesText);
  for (let i = 0; i < categories.length; i += 2)
    rows.categories.push([categories[i], Number(categories[i + 1])]);
  const shown = pairs(shownText);
  const shownCounts = countsOf(shownCountsText, shown.length / 2, SHOWN_COUNTS);
  for (let i = 0, j = 0; i < shown.length; i += 2, j += SHOWN_COUNTS) {
    rows.shown.push({
      streamId: shown[i],
      lastShownAt: Number(shown[i + 1]),
      impressions: count(shownCounts[j]),
      clicks: count(shownCounts[j + 1]),
    });
  }
  return rows;
}

function isReply(reply: unknown): reply is UserStateReply {
  return Array.isArray(reply) && reply.length === 7 && reply.every((part) => Buffer.isBuffer(part));
}

/** float32 LE of the expected dimension, else null (a non-finite vector is not ranked with). */
function vectorOf(bytes: Buffer, dimension: number): Float32Array | null {
  if (bytes.length !== dimension * 4) return null;
  try {
    return bufferToFloat32(bytes);
  } catch {
    return null;
  }
}

function tokens(text: Buffer): string[] {
  return text.length === 0 ? [] : text.toString().split(' ');
}

/** `member value` pairs; an odd count means a member with a space, which the layout rules out. */
function pairs(text: Buffer): string[] {
  const list = tokens(text);
  if (list.length % 2 !== 0) throw new MalformedUserStateReplyError('odd number of tokens in a pair list');
  return list;
}

/** `perMember` counts for each of `members`: empty text for no members. */
function countsOf(text: Buffer, members: number, perMember: number): string[] {
  if (members === 0 && text.length === 0) return [];
  const list = text.toString().split(' ');
  if (list.length !== members * perMember)
    throw new MalformedUserStateReplyError('counts do not match their list');
  return list;
}

/** A counter field: absent ('') or unparsable reads as 0. */
function count(value: string): number {
  const n = Number(value);
  return Number.isFinite(n) ? n : 0;
}
