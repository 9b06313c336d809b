/**
 * One user's state in ONE command (EVALSHA): the writer's vector and the heads of the aggregator's
 * per-user keys (docs/key-layout.md), with the counts of the sellers and streams read joined
 * server side. Read-only.
 *
 * Why it looks like this (bench/user-state-read.bench.ts): ioredis allocates one Buffer per bulk
 * string of a reply, and a script converts every returned element back into RESP, so each list
 * goes back as ONE space-separated string (`table.concat`, in C): 7 bulk strings per user, whatever
 * its size. The counts hashes are read whole (HGETALL) and joined in a Lua table (in RESP3 the
 * reply is a map, which Redis turns into a Lua table in C: no Lua loop over the fields); Redis keeps a
 * hash of up to `hash-max-listpack-entries` (512 by default) fields as a listpack, where HMGET
 * scans the whole hash for every field asked, so HMGET of the 200 counts of a user at the
 * aggregator's bounds (100 sellers x 4 and 200 shown x 2 fields) cost Redis more than one HGETALL;
 * joining here rather than in Node keeps the reply to what the ranker uses (the Node join, with a
 * string and a Map entry per field, cost more CPU than the Lua one). Both hashes are bounded by the
 * aggregator and skipped when their head is empty. A space is a safe separator: ids and categories
 * never contain one (contracts' SAFE_ID_PATTERN / CATEGORY_PATTERN), nor do scores and counters.
 * `redis.setresp` needs Redis >= 6.0.
 *
 * KEYS: 1 user vector, 2 sellers, 3 seller-counts, 4 follows, 5 categories, 6 shown, 7 shown-counts
 * ARGV: last rank read (count - 1) of 1 sellers, 2 categories, 3 shown
 * Reply: { vector or '', 'sellerId score ...', 'chats bids purchases watchMs ...' per seller read
 *   ('' for an absent field), 'sellerId ...' follows, 'category score ...', 'streamId time ...'
 *   shown, 'impressions clicks ...' per stream read ('' when absent) }
 */
export const READ_USER_STATE_LUA = `
local sellers = redis.call('ZREVRANGE', KEYS[2], 0, ARGV[1], 'WITHSCORES')
local sellerCounts = ''
if #sellers > 0 then
  redis.setresp(3)
  local byField = redis.call('HGETALL', KEYS[3]).map
  redis.setresp(2)
  local out, n = {}, 0
  for i = 1, #sellers, 2 do
    local s = sellers[i]
    out[n + 1] = byField[s .. ':chats'] or ''
    out[n + 2] = byField[s .. ':bids'] or ''
    out[n + 3] = byField[s .. ':purchases'] or ''
    out[n + 4] = byField[s .. ':watchMs'] or ''
    n = n + 4
  end
  sellerCounts = table.concat(out, ' ')
end
local shown = redis.call('ZREVRANGE', KEYS[6], 0, ARGV[3], 'WITHSCORES')
local shownCounts = ''
if #shown > 0 then
  redis.setresp(3)
  local byField = redis.call('HGETALL', KEYS[7]).map
  redis.setresp(2)
  local out, n = {}, 0
  for i = 1, #shown, 2 do
    local s = shown[i]
    out[n + 1] = byField['i:' .. s] or ''
    out[n + 2] = byField['c:' .. s] or ''
    n = n + 2
  end
  shownCounts = table.concat(out, ' ')
end
return {
  redis.call('GET', KEYS[1]) or '',
  table.concat(sellers, ' '),
  sellerCounts,
  table.concat(redis.call('SMEMBERS', KEYS[4]), ' '),
  table.concat(redis.call('ZREVRANGE', KEYS[5], 0, ARGV[2], 'WITHSCORES'), ' '),
  table.concat(shown, ' '),
  shownCounts,
}
`;
