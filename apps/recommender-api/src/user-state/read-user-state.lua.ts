/**
 * One user's state in ONE command (EVALSHA): the writer's vector and the heads of the aggregator's
 * per-user keys (docs/key-layout.md), joined server side so the reply holds only what the ranker
 * uses (the seller counts of the sellers read, the shown counts of the streams read) instead of
 * whole hashes. Read-only.
 *
 * KEYS: 1 user vector, 2 sellers, 3 seller-counts, 4 follows, 5 categories, 6 shown, 7 shown-counts
 * ARGV: 1 sellers to read, 2 categories to read, 3 shown to read
 * Reply: { vector or '', sellers [id, score]..., seller counts [chats, bids, purchases, watchMs]...
 *   (nil when absent), follows, categories [id, score]..., shown [id, time]..., shown counts
 *   [impressions, clicks]... (nil when absent) }
 */
export const READ_USER_STATE_LUA = `
local vector = redis.call('GET', KEYS[1]) or ''
local sellers = redis.call('ZREVRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local sellerCounts = {}
if #sellers > 0 then
  local fields = {}
  for i = 1, #sellers, 2 do
    local s = sellers[i]
    fields[#fields + 1] = s .. ':chats'
    fields[#fields + 1] = s .. ':bids'
    fields[#fields + 1] = s .. ':purchases'
    fields[#fields + 1] = s .. ':watchMs'
  end
  sellerCounts = redis.call('HMGET', KEYS[3], unpack(fields))
end
local follows = redis.call('SMEMBERS', KEYS[4])
local categories = redis.call('ZREVRANGE', KEYS[5], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
local shown = redis.call('ZREVRANGE', KEYS[6], 0, tonumber(ARGV[3]) - 1, 'WITHSCORES')
local shownCounts = {}
if #shown > 0 then
  local fields = {}
  for i = 1, #shown, 2 do
    fields[#fields + 1] = 'i:' .. shown[i]
    fields[#fields + 1] = 'c:' .. shown[i]
  end
  shownCounts = redis.call('HMGET', KEYS[7], unpack(fields))
end
return { vector, sellers, sellerCounts, follows, categories, shown, shownCounts }
`;
