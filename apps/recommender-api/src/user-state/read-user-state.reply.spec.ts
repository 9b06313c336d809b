import { float32ToBuffer } from '@app/vector-store';
import { MalformedUserStateReplyError, decodeUserStateReply } from './read-user-state.reply';

const DIM = 2;
const text = (value: string) => Buffer.from(value);

/** A reply as read-user-state.lua builds it; every part defaults to empty. */
function reply(
  parts: Partial<
    Record<'vector' | 'sellers' | 'sellerCounts' | 'follows' | 'categories' | 'shown' | 'shownCounts', Buffer>
  >,
) {
  const empty = Buffer.alloc(0);
  return [
    parts.vector ?? empty,
    parts.sellers ?? empty,
    parts.sellerCounts ?? empty,
    parts.follows ?? empty,
    parts.categories ?? empty,
    parts.shown ?? empty,
    parts.shownCounts ?? empty,
  ];
}

describe('decodeUserStateReply', () => {
  it('decodes an empty user as no rows and no vector', () => {
    expect(decodeUserStateReply(reply({}), DIM)).toEqual({
      vector: null,
      sellers: [],
      categories: [],
      follows: [],
      shown: [],
    });
  });

  it('pairs each head member with its counts, absent or unparsable counts as 0', () => {
    const rows = decodeUserStateReply(
      reply({
        vector: float32ToBuffer(new Float32Array([0.6, 0.8])),
        sellers: text('s-a 8.8000000000000007 s-b 2'),
        sellerCounts: text('2 1  1200000    nope'),
        follows: text('s-c s-d'),
        categories: text('coins 3 cards 1.5'),
        shown: text('st-1 1795715962913 st-2 1000'),
        shownCounts: text('3 1 1 '),
      }),
      DIM,
    );
    expect(rows.vector && [...rows.vector]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(rows.sellers).toEqual([
      { sellerId: 's-a', weight: 8.8, chats: 2, bids: 1, purchases: 0, watchMs: 1_200_000 },
      { sellerId: 's-b', weight: 2, chats: 0, bids: 0, purchases: 0, watchMs: 0 },
    ]);
    expect(rows.follows).toEqual(['s-c', 's-d']);
    expect(rows.categories).toEqual([
      ['coins', 3],
      ['cards', 1.5],
    ]);
    expect(rows.shown).toEqual([
      { streamId: 'st-1', lastShownAt: 1_795_715_962_913, impressions: 3, clicks: 1 },
      { streamId: 'st-2', lastShownAt: 1_000, impressions: 1, clicks: 0 },
    ]);
  });

  it('drops a vector of another dimension or with a non-finite component', () => {
    const wrongSize = decodeUserStateReply(reply({ vector: float32ToBuffer(new Float32Array(3)) }), DIM);
    expect(wrongSize.vector).toBeNull();
    const notFinite = decodeUserStateReply(
      reply({ vector: float32ToBuffer(new Float32Array([NaN, 1])) }),
      DIM,
    );
    expect(notFinite.vector).toBeNull();
  });

  it.each([
    ['not an array', 'nope'],
    ['too few parts', reply({}).slice(0, 6)],
    ['a part that is not bytes', [...reply({}).slice(0, 6), 'text']],
    ['an odd pair list (a member with a space)', reply({ sellers: text('s a 1') })],
    [
      'counts that do not match their sellers',
      reply({ sellers: text('s-a 1'), sellerCounts: text('1 2 3') }),
    ],
    ['counts without sellers', reply({ sellerCounts: text('1 2 3 4') })],
    ['no counts for shown streams', reply({ shown: text('st-1 5') })],
  ])('refuses %s', (_case, value) => {
    expect(() => decodeUserStateReply(value, DIM)).toThrow(MalformedUserStateReplyError);
  });
});
