/**
 * The one script per batch (EVALSHA): applies a folded BatchUpdate atomically together with the
 * partition offset, or nothing when the stored offset says the batch was already applied.
 * ARGV: 1 full key prefix (ioredis keyPrefix + "agg:"), 2 settings JSON (ApplySettings), 3 topic,
 * 4 partition, 5 lastOffset, 6 expectOffset ('' = none), 7 maxEventTime, 8 lifecycle JSON
 * ('' = none), 9 stream tokens, 10 user tokens (MessagePack arrays, state/wire-format.ts). Keys are built here
 * (single Redis, not cluster). Computed numbers are written with %.17g (exact doubles) and %d:
 * Lua's default %.14g would round them; increments arrive as exact decimal strings; the 27 decayed
 * sums are one binary field (struct.pack, state/packed-rates.codec.ts), text of the previous
 * version still read. The in-memory
 * twin (in-memory-aggregate-state.repository.ts) mirrors this logic and the shared conformance
 * suite checks both. The batch's streams are added to the partition's pending set (one variadic ZADD,
 * docs/key-layout.md) so the change feed survives a crash. Cost model: Redis calls dominate, so per
 * stream and batch there is one HMGET, one HSET and one variadic ZADD of the viewers, per batch one
 * variadic ZADD of the leases; no trending sorted sets and no per-user stream affinities (nothing
 * read them: the recommender ranks from the change feed and the user's sellers/categories/shown).
 */
export const APPLY_BATCH_LUA = `
local P = ARGV[1]
local cfg = cjson.decode(ARGV[2])
local topic, partition, lastOffset, expectOffset = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local okey = P .. 'offset:' .. topic .. ':' .. partition
local prog = redis.call('HMGET', okey, 'offset', 'maxEventTime')
if prog[1] and tonumber(prog[1]) >= tonumber(lastOffset) then return {'duplicate'} end
if (prog[1] or '') ~= expectOffset then return {'conflict', prog[1] or '', prog[2] or '0'} end
local leaseKey = P .. 'lease:' .. topic .. ':' .. partition
local taus = cfg.taus
local W = cfg.weights
local lifeOps = {}
if ARGV[8] ~= '' then lifeOps = cjson.decode(ARGV[8]) end
-- the 27 decayed sums as one binary field: version byte 1 + 27 little-endian doubles (exact, no
-- decimal text to format or parse); text of the previous version ('%.17g' joined by ',') is still read
local RATES_PACK = '<' .. string.rep('d', 27)
local RATES_V = string.char(1)

local tok, ti = {}, 0
-- one flat MessagePack array per section, unpacked in C: strings and Lua numbers, no tonumber
local function reset(packed)
  tok, ti = cmsgpack.unpack(packed), 0
  return #tok
end
local function nx() ti = ti + 1; return tok[ti] end

local function num(v) return string.format('%.17g', v) end
local function int(v) return string.format('%d', v) end

local function sha1uuid(text)
  local h = redis.sha1hex(text)
  local variant = string.format('%x', (tonumber(string.sub(h, 17, 17), 16) % 4) + 8)
  return string.sub(h, 1, 8) .. '-' .. string.sub(h, 9, 12) .. '-5' .. string.sub(h, 14, 16) .. '-' ..
    variant .. string.sub(h, 18, 20) .. '-' .. string.sub(h, 21, 32)
end
local function expireLater(s)
  redis.call('EXPIRE', s, cfg.endedTtlSec)
  redis.call('EXPIRE', s .. ':uv', cfg.endedTtlSec)
  redis.call('EXPIRE', s .. ':ub', cfg.endedTtlSec)
  redis.call('EXPIRE', s .. ':watching', cfg.endedTtlSec)
end
local function endStream(id, s, t, reason)
  local h = redis.call('HMGET', s, 'live', 'sellerId')
  if h[1] ~= '1' then return end
  redis.call('HSET', s, 'live', '0', 'endedAt', int(t), 'endReason', reason, 'viewers', '0', 'score', '0',
    'velocity', '0')
  redis.call('ZREM', P .. 'live', id)
  redis.call('ZREM', leaseKey, id)
  if h[2] then
    local seller = P .. 'seller:' .. h[2]
    if redis.call('HGET', seller, 'streamId') == id then redis.call('HSET', seller, 'live', '0') end
  end
  redis.call('DEL', s .. ':viewers')
  expireLater(s)
end

local function applyLife(id, s, op)
  if op.op == 'start' then
    redis.call('HSET', s, 'live', '1', 'sellerId', op.sellerId, 'title', op.title, 'category', op.category,
      'language', op.language, 'startedAt', int(op.t), 'topic', topic, 'partition', partition)
    redis.call('HDEL', s, 'endedAt', 'endReason')
    redis.call('PERSIST', s); redis.call('PERSIST', s .. ':uv'); redis.call('PERSIST', s .. ':ub')
    redis.call('PERSIST', s .. ':watching')
    redis.call('ZADD', P .. 'live', op.t, id)
    redis.call('ZADD', leaseKey, op.t, id)
    redis.call('HSET', P .. 'seller:' .. op.sellerId, 'live', '1', 'streamId', id)
  elseif op.op == 'update' then
    if op.title then redis.call('HSET', s, 'title', op.title) end
    if op.category then redis.call('HSET', s, 'category', op.category) end
    if op.language then redis.call('HSET', s, 'language', op.language) end
  elseif op.op == 'end' then
    endStream(id, s, op.t, op.reason)
  elseif op.op == 'expire' then
    local last = tonumber(redis.call('HGET', s, 'lastActivityAt') or '0')
    if op.actBefore > last then last = op.actBefore end
    -- a lease renewed after the sweeper decided makes its eventId stale: the stream stays live
    if op.eventId == sha1uuid(id .. ':' .. int(last)) then endStream(id, s, op.t, 'expired') end
  end
end

local fwdRate = math.log(2) / cfg.userHalfLifeMs
-- watch time of a view that ended: forward-decayed affinity and exact ms per seller, on the user's keys
local function watched(userId, started, t, seller, cat)
  local dur = math.min(cfg.watchCapMs, math.max(0, t - started))
  local w = cfg.watchWeight * dur / 60000 * math.exp((t - cfg.epochMs) * fwdRate)
  if w <= 0 then return end
  local base = P .. 'u:' .. userId .. ':'
  if seller ~= '' then
    redis.call('ZINCRBY', base .. 'sellers', num(w), seller)
    redis.call('HINCRBY', base .. 'seller-counts', seller .. ':watchMs', int(dur))
  end
  if cat ~= '' then redis.call('ZINCRBY', base .. 'categories', num(w), cat) end
end

-- (userId, t, late)* of users first seen in this batch: SMISMEMBER tells which are new to the set
-- (one call, not one SADD per user), then one variadic SADD; the new ones add to rates[base + w]
local function uniques(key, rates, base, T)
  local count = nx()
  if count == 0 then return 0 end
  local users, ts, lates = {}, {}, {}
  for i = 1, count do users[i] = nx(); ts[i] = nx(); lates[i] = nx() end
  local fresh, added = {}, 0
  for k = 1, count, 2000 do
    local known = redis.call('SMISMEMBER', key, unpack(users, k, math.min(k + 1999, count)))
    for j = 1, #known do
      if known[j] == 0 then
        local i = k + j - 1
        added = added + 1; fresh[added] = users[i]
        if lates[i] == 0 then
          for w = 1, 3 do rates[base + w] = rates[base + w] + math.exp(-(T - ts[i]) / taus[w]) end
        end
      end
    end
  end
  for k = 1, added, 2000 do redis.call('SADD', key, unpack(fresh, k, math.min(k + 1999, added))) end
  return added
end

-- every stream of the batch stays pending (score = this batch's offset) until its change-feed
-- record is acked: a crash between this apply and the publisher's flush loses nothing
local pending = {}
-- lease renewals (activity time, streamId) of the batch's live streams: one variadic ZADD GT at the
-- end, not one call per stream (only a stream's own lifecycle ops, applied before, touch its lease)
local leases = {}
local STREAM_FIELDS = {'live', 'lastActivityAt', 'lastHeartbeatAt', 'lastEventAt', 'chats', 'bids', 'purchases',
  'giveaways', 'uniqueViewers', 'peakViewers', 'rt', 'r'}

local function applyStream()
  local id = nx()
  local s = P .. 's:' .. id
  pending[#pending + 1] = lastOffset; pending[#pending + 1] = id
  local hasLife = nx() == 1
  local hb, act, last, T = nx(), nx(), nx(), nx()
  local chats, bids, purchases, giveaways = nx(), nx(), nx(), nx()
  if hasLife then for _, op in ipairs(lifeOps[id]) do applyLife(id, s, op) end end
  local h = redis.call('HMGET', s, unpack(STREAM_FIELDS))
  local live = h[1] == '1'
  local out = {}
  local function put(field, value) out[#out + 1] = field; out[#out + 1] = value end
  -- lastActivityAt is the latest non-late activity whatever the state (batch-independent);
  -- only a live stream holds a lease
  if act > tonumber(h[2] or '0') then put('lastActivityAt', int(act)) end
  if live and act > 0 then leases[#leases + 1] = act; leases[#leases + 1] = id end
  if hb > tonumber(h[3] or '0') then put('lastHeartbeatAt', int(hb)) end
  local lastEventAt = tonumber(h[4] or '0')
  if last > lastEventAt then lastEventAt = last; put('lastEventAt', int(last)) end
  if chats > 0 then put('chats', int(tonumber(h[5] or '0') + chats)) end
  if bids > 0 then put('bids', int(tonumber(h[6] or '0') + bids)) end
  if purchases > 0 then put('purchases', int(tonumber(h[7] or '0') + purchases)) end
  if giveaways > 0 then put('giveaways', int(tonumber(h[8] or '0') + giveaways)) end
  for _ = 1, nx() do
    local cur = nx()
    redis.call('HINCRBY', s, 'gmv:' .. cur, nx())
  end
  local rates = {}
  if nx() == 27 then for i = 1, 27 do rates[i] = nx() end else for i = 1, 27 do rates[i] = 0 end end
  local vkey = s .. ':viewers'
  local active, ended = {}, {}
  for _ = 1, nx() do
    local user, activity, endedAt = nx(), nx(), nx()
    if activity ~= '0' then active[#active + 1] = activity; active[#active + 1] = user end
    if endedAt > 0 then ended[#ended + 1] = user; ended[#ended + 1] = endedAt end
  end
  if live then
    -- one variadic ZADD per stream and batch (chunked: unpack is bounded by Lua's C stack)
    for k = 1, #active, 2000 do
      redis.call('ZADD', vkey, 'GT', unpack(active, k, math.min(k + 1999, #active)))
    end
    for i = 1, #ended, 2 do
      local sc = redis.call('ZSCORE', vkey, ended[i])
      if sc and tonumber(sc) <= ended[i + 1] then redis.call('ZREM', vkey, ended[i]) end
    end
  end
  local newViewers = uniques(s .. ':uv', rates, 18, T)
  if newViewers > 0 then put('uniqueViewers', int(tonumber(h[9] or '0') + newViewers)) end
  uniques(s .. ':ub', rates, 6, T)
  -- views in offset order; starts are written once per stream and batch (one variadic HSET), a
  -- start ended within the batch never reaches Redis, only ends of earlier starts read it (HGET)
  local wkey = s .. ':watching'
  local opened, closed = {}, {}
  for _ = 1, nx() do
    local user, start, t, seller, cat = nx(), nx(), nx(), nx(), nx()
    if start == 1 then
      opened[user] = t; closed[user] = nil
    elseif opened[user] then
      watched(user, opened[user], t, seller, cat)
      opened[user] = nil; closed[user] = true
    elseif not closed[user] then
      local started = redis.call('HGET', wkey, user)
      if started then
        closed[user] = true
        watched(user, tonumber(started), t, seller, cat)
      end
    end
  end
  local wargs, dargs = {}, {}
  for user, t in pairs(opened) do wargs[#wargs + 1] = user; wargs[#wargs + 1] = int(t) end
  for user in pairs(closed) do dargs[#dargs + 1] = user end
  for k = 1, #wargs, 2000 do redis.call('HSET', wkey, unpack(wargs, k, math.min(k + 1999, #wargs))) end
  for k = 1, #dargs, 1000 do redis.call('HDEL', wkey, unpack(dargs, k, math.min(k + 999, #dargs))) end
  local t0 = tonumber(h[11] or '0')
  local raw = h[12]
  local merged
  if raw and string.byte(raw, 1) == 1 then
    merged = {struct.unpack(RATES_PACK, raw, 2)}
    merged[28] = nil -- unpack's next position
  else
    merged = {}
    local i = 0
    for v in string.gmatch(raw or '', '[^,]+') do i = i + 1; merged[i] = tonumber(v) end
    for k = i + 1, 27 do merged[k] = 0 end
  end
  if T > 0 then
    for k = 1, 27 do
      local tau = taus[((k - 1) % 3) + 1]
      if T >= t0 then merged[k] = merged[k] * math.exp(-(T - t0) / tau) + rates[k]
      else merged[k] = merged[k] + rates[k] * math.exp(-(t0 - T) / tau) end
    end
    put('r', RATES_V .. struct.pack(RATES_PACK, unpack(merged)))
    put('rt', int(math.max(t0, T)))
  end
  if not live then
    if #out > 0 then redis.call('HSET', s, unpack(out)) end
    expireLater(s)
    return
  end
  redis.call('ZREMRANGEBYSCORE', vkey, '-inf', '(' .. int(lastEventAt - cfg.viewerLeaseMs))
  local viewers = redis.call('ZCARD', vkey)
  local peak = tonumber(h[10] or '0')
  if viewers > peak then peak = viewers end
  local function perMin(k) return merged[k] * 60000 / taus[((k - 1) % 3) + 1] end
  local velocity = perMin(22) - perMin(25)
  local score = W.viewers * viewers + W.chats * perMin(2) + W.bids * perMin(5) + W.uniqueBidders * perMin(8) +
    W.purchases * perMin(11) + W.gmv * perMin(14) + W.giveaways * perMin(17) + W.newViewers * perMin(20) +
    W.velocity * velocity
  put('viewers', int(viewers)); put('peakViewers', int(peak)); put('velocity', num(velocity)); put('score', num(score))
  redis.call('HSET', s, unpack(out))
end

local erased = {}
local function eraseUser(id)
  local base = P .. 'u:' .. id .. ':'
  for _, seller in ipairs(redis.call('SMEMBERS', base .. 'follows')) do
    redis.call('SREM', P .. 'seller:' .. seller .. ':followers', id)
    erased[#erased + 1] = id; erased[#erased + 1] = seller
  end
  for _, sid in ipairs(redis.call('ZRANGE', base .. 'recent', 0, -1)) do
    local s = P .. 's:' .. sid
    redis.call('ZREM', s .. ':viewers', id); redis.call('SREM', s .. ':uv', id); redis.call('SREM', s .. ':ub', id)
    redis.call('HDEL', s .. ':watching', id)
  end
  -- 'streams' is no longer written; deleted still so that an older version's key is erased too
  redis.call('DEL', base .. 'streams', base .. 'sellers', base .. 'categories', base .. 'recent',
    base .. 'seller-counts', base .. 'shown', base .. 'shown-counts', base .. 'follows')
end

local function trim(key, max, evictHash, prefixes)
  local n = redis.call('ZCARD', key)
  if n <= max then return end
  if evictHash then
    for _, m in ipairs(redis.call('ZRANGE', key, 0, n - max - 1)) do
      for _, pre in ipairs(prefixes) do redis.call('HDEL', evictHash, pre[1] .. m .. pre[2]) end
    end
  end
  redis.call('ZREMRANGEBYRANK', key, 0, n - max - 1)
end

-- (member, value)* of one of the user's zsets: tokens read in place (the hot loop: one per
-- engaged user), the key built only when there is something to write. ZINCRBY, or ZADD GT (then
-- true when a member was new)
local function userZset(base, suffix, gt)
  local i = ti + 1
  local n = tok[i]
  ti = i + 2 * n
  if n == 0 then return false end
  local key = base .. suffix
  local added = false
  for j = i + 1, i + 2 * n, 2 do
    if gt then
      if redis.call('ZADD', key, 'GT', tok[j + 1], tok[j]) == 1 then added = true end
    else
      redis.call('ZINCRBY', key, tok[j + 1], tok[j])
    end
  end
  return added
end

local function applyUser()
  local id = nx()
  if nx() == 1 then eraseUser(id) end
  local base = P .. 'u:' .. id .. ':'
  local counts = base .. 'seller-counts'
  -- trims (ZCARD + ZREMRANGEBYRANK) only when a stream new to the user appeared: amortized bounds
  local grewShown = false
  local grew = userZset(base, 'recent', true)
  userZset(base, 'sellers', false)
  userZset(base, 'categories', false)
  for _ = 1, nx() do
    local sel, c, b, p = nx(), nx(), nx(), nx()
    if c ~= '0' then redis.call('HINCRBY', counts, sel .. ':chats', c) end
    if b ~= '0' then redis.call('HINCRBY', counts, sel .. ':bids', b) end
    if p ~= '0' then redis.call('HINCRBY', counts, sel .. ':purchases', p) end
  end
  for _ = 1, nx() do
    local sid, i, c, t = nx(), nx(), nx(), nx()
    if i ~= '0' then redis.call('HINCRBY', base .. 'shown-counts', 'i:' .. sid, i) end
    if c ~= '0' then redis.call('HINCRBY', base .. 'shown-counts', 'c:' .. sid, c) end
    if redis.call('ZADD', base .. 'shown', 'GT', t, sid) == 1 then grewShown = true end
  end
  for _ = 1, nx() do
    local seller, follow = nx(), nx()
    local followers = P .. 'seller:' .. seller .. ':followers'
    if follow == 1 then
      redis.call('SADD', base .. 'follows', seller); redis.call('SADD', followers, id)
    else
      redis.call('SREM', base .. 'follows', seller); redis.call('SREM', followers, id)
    end
  end
  -- sellers/categories grow slower than 'recent' (one stream has one seller and category): one
  -- ZCARD decides, the rest is trimmed together
  if grew and redis.call('ZCARD', base .. 'recent') > cfg.userRecentMax then
    trim(base .. 'recent', cfg.userRecentMax, nil, nil)
    trim(base .. 'sellers', cfg.userSellersMax, counts,
      {{'', ':chats'}, {'', ':bids'}, {'', ':purchases'}, {'', ':watchMs'}})
    trim(base .. 'categories', cfg.userCategoriesMax, nil, nil)
  end
  if grewShown then trim(base .. 'shown', cfg.userShownMax, base .. 'shown-counts', {{'i:', ''}, {'c:', ''}}) end
end

local n = reset(ARGV[9])
while ti < n do applyStream() end
n = reset(ARGV[10])
while ti < n do applyUser() end
for k = 1, #leases, 2000 do redis.call('ZADD', leaseKey, 'GT', unpack(leases, k, math.min(k + 1999, #leases))) end
local pkey = P .. 'pending:' .. topic .. ':' .. partition
for k = 1, #pending, 2000 do redis.call('ZADD', pkey, unpack(pending, k, math.min(k + 1999, #pending))) end
local maxT = tonumber(prog[2] or '0')
if tonumber(ARGV[7]) > maxT then maxT = tonumber(ARGV[7]) end
redis.call('HSET', okey, 'offset', lastOffset, 'maxEventTime', int(maxT))
return {'applied', unpack(erased)}
`;
