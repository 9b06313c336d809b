/**
 * The one script per batch (EVALSHA): applies a folded BatchUpdate atomically together with the
 * partition offset, or nothing when the stored offset says the batch was already applied.
 * ARGV: 1 full key prefix (ioredis keyPrefix + "agg:"), 2 settings JSON (ApplySettings), 3 topic,
 * 4 partition, 5 lastOffset, 6 expectOffset ('' = none), 7 maxEventTime, 8 lifecycle JSON
 * ('' = none), 9 stream tokens, 10 user tokens (MessagePack arrays, state/wire-format.ts), 11 the
 * users already recorded in users:seen at this batch's hour (newline-joined, optional; state/recorded-users.cache.ts). Keys are built here
 * (single Redis, not cluster). Every number of a stream is in its binary field r (format 2:
 * struct.pack of 40 doubles, state/packed-stream.codec.ts; formats 1 and 0 of earlier versions are
 * still read and rewritten); the few computed numbers written elsewhere use %.17g (exact doubles)
 * and %d: Lua's default %.14g would round them; increments arrive as exact decimal strings. The in-memory
 * twin (in-memory-aggregate-state.repository.ts) mirrors this logic and the shared conformance
 * suite checks both. The batch's streams are added to the partition's pending set (one variadic ZADD,
 * docs/key-layout.md) so the change feed survives a crash. Cost model: Redis calls dominate, so per
 * stream and batch there is one HMGET (live, r), one HSET (r) and one variadic ZADD of the viewers, per batch one
 * variadic ZADD of the leases and one of the users it wrote (users:seen); no trending sorted sets
 * and no per-user stream affinities (nothing read them: the recommender ranks from the change feed
 * and the user's sellers/categories/shown).
 */
import { USER_SEEN_RESOLUTION_MS } from './aggregate-state.repository';
import { AGGREGATE_STATE_FORMAT } from './state-format';

export const APPLY_BATCH_LUA = `
local P = ARGV[1]
-- the format gate (state-format.ts): refuse, before any write, state a newer version wrote
local FORMAT = ${AGGREGATE_STATE_FORMAT}
local format = tonumber(redis.call('GET', P .. 'format') or '0')
if format > FORMAT then return {'newer-format', tostring(format)} end
if format < FORMAT then redis.call('SET', P .. 'format', FORMAT) end
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
-- format 2 of the stream's numbers (state/packed-stream.codec.ts): version byte 2 + 40 doubles,
-- slots 1-27 the decayed sums, then the hot numbers below: read with HMGET live r, written with
-- HSET r (no text fields to look up, format or parse per call)
local STREAM_PACK = '<' .. string.rep('d', 40)
local STREAM_V = string.char(2)
local RT, ACT, HB, LAST, CHATS, BIDS, PURCHASES, GIVEAWAYS, UV, VIEWERS, PEAK, VEL, SCORE =
  28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40
-- where earlier versions kept those numbers (decimal text), in slot order 28..40
local LEGACY_FIELDS = {'rt', 'lastActivityAt', 'lastHeartbeatAt', 'lastEventAt', 'chats', 'bids', 'purchases',
  'giveaways', 'uniqueViewers', 'viewers', 'peakViewers', 'velocity', 'score'}

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
-- the 40 numbers of stream hash s whose field r is raw; second result true when they came from an
-- earlier version's fields (one more HMGET; the next write deletes them: upgrade)
local function readPacked(s, raw)
  if raw and string.byte(raw, 1) == 2 then
    local m = {struct.unpack(STREAM_PACK, raw, 2)}
    m[41] = nil -- unpack's next position
    return m, false
  end
  local m
  if raw and string.byte(raw, 1) == 1 then
    m = {struct.unpack(RATES_PACK, raw, 2)}
  else
    -- format 0: '%.17g' sums joined by ','
    m = {}
    local i = 0
    for v in string.gmatch(raw or '', '[^,]+') do i = i + 1; m[i] = tonumber(v) end
    for k = i + 1, 27 do m[k] = 0 end
  end
  local old = redis.call('HMGET', s, unpack(LEGACY_FIELDS))
  local legacy = false
  for k = 1, 13 do
    if old[k] then legacy = true end
    m[27 + k] = tonumber(old[k] or '0')
  end
  return m, legacy
end
local function writePacked(s, m, legacy)
  redis.call('HSET', s, 'r', STREAM_V .. struct.pack(STREAM_PACK, unpack(m, 1, 40)))
  if legacy then redis.call('HDEL', s, unpack(LEGACY_FIELDS)) end
end

local function expireLater(s)
  redis.call('EXPIRE', s, cfg.endedTtlSec)
  redis.call('EXPIRE', s .. ':uv', cfg.endedTtlSec)
  redis.call('EXPIRE', s .. ':ub', cfg.endedTtlSec)
  redis.call('EXPIRE', s .. ':watching', cfg.endedTtlSec)
end
local function endStream(id, s, t, reason)
  local h = redis.call('HMGET', s, 'live', 'sellerId', 'r')
  if h[1] ~= '1' then return end
  redis.call('HSET', s, 'live', '0', 'endedAt', int(t), 'endReason', reason)
  local m, legacy = readPacked(s, h[3])
  m[VIEWERS] = 0; m[VEL] = 0; m[SCORE] = 0
  writePacked(s, m, legacy)
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
    local last = readPacked(s, redis.call('HGET', s, 'r'))[ACT]
    if op.actBefore > last then last = op.actBefore end
    -- a lease renewed after the sweeper decided makes its eventId stale: the stream stays live
    if op.eventId == sha1uuid(id .. ':' .. int(last)) then endStream(id, s, op.t, 'expired') end
  end
end

-- the users whose engagement keys this batch wrote: one variadic ZADD at the end records when each
-- was last active (<P>users:seen), from which the idle-user sweep deletes the keys of idle ones;
-- an erasure un-touches (false) until the user writes again
local touchedUsers, touchedList = {}, {}
-- users this aggregator already recorded at this batch's hour (ARGV[11], newline-joined; its
-- RecordedUsersCache): their ZADD GT would change nothing
local recorded = {}
if ARGV[11] and ARGV[11] ~= '' then
  for id in string.gmatch(ARGV[11], '[^\\n]+') do recorded[id] = true end
end
local function touchUser(id)
  if recorded[id] then return end
  local touched = touchedUsers[id]
  if touched then return end
  if touched == nil then touchedList[#touchedList + 1] = id end
  touchedUsers[id] = true
end

local fwdRate = math.log(2) / cfg.userHalfLifeMs
-- watch time of a view that ended: forward-decayed affinity and exact ms per seller, on the user's keys
local function watched(userId, started, t, seller, cat)
  local dur = math.min(cfg.watchCapMs, math.max(0, t - started))
  local w = cfg.watchWeight * dur / 60000 * math.exp((t - cfg.epochMs) * fwdRate)
  if w <= 0 then return end
  local base = P .. 'u:' .. userId .. ':'
  touchUser(userId)
  if seller ~= '' then
    redis.call('ZINCRBY', base .. 'sellers', num(w), seller)
    redis.call('HINCRBY', base .. 'seller-counts', seller .. ':watchMs', int(dur))
  end
  if cat ~= '' then redis.call('ZINCRBY', base .. 'categories', num(w), cat) end
end

-- (userId, t, late)* of users first seen in this batch: SMISMEMBER tells which are new to the set
-- (one call, not one SADD per user), then one variadic SADD; the new ones add to rates[base + w].
-- One user alone (most streams of a caught-up batch: one join each) is one SADD, whose reply says
-- whether it was new.
local function firstSeen(rates, base, T, t)
  for w = 1, 3 do rates[base + w] = rates[base + w] + math.exp(-(T - t) / taus[w]) end
end
local function uniques(s, suffix, rates, base, T)
  local count = nx()
  if count == 0 then return 0 end
  local key = s .. suffix
  if count == 1 then
    local user, t, late = nx(), nx(), nx()
    if redis.call('SADD', key, user) == 0 then return 0 end
    if late == 0 then firstSeen(rates, base, T, t) end
    return 1
  end
  local users, ts, lates = {}, {}, {}
  for i = 1, count do users[i] = nx(); ts[i] = nx(); lates[i] = nx() end
  local fresh, added = {}, 0
  for k = 1, count, 2000 do
    local known = redis.call('SMISMEMBER', key, unpack(users, k, math.min(k + 1999, count)))
    for j = 1, #known do
      if known[j] == 0 then
        local i = k + j - 1
        added = added + 1; fresh[added] = users[i]
        if lates[i] == 0 then firstSeen(rates, base, T, ts[i]) end
      end
    end
  end
  for k = 1, added, 2000 do redis.call('SADD', key, unpack(fresh, k, math.min(k + 1999, added))) end
  return added
end

-- every stream of the batch stays pending (score = this batch's offset) until its change-feed
-- record is acked: a crash between this apply and the publisher's flush loses nothing
local pending, npending = {}, 0
-- lease renewals (activity time, streamId) of the batch's live streams: one variadic ZADD GT at the
-- end, not one call per stream (only a stream's own lifecycle ops, applied before, touch its lease)
local leases = {}

-- decayed sum k of a stream's numbers m as a rate per minute over its window
local function perMin(m, k) return m[k] * 60000 / taus[((k - 1) % 3) + 1] end

-- a stream record's tokens are read by index from tok, not through nx() (a Lua call each, ~40
-- per stream): this runs once per stream and batch, the script's hot loop
local function applyStream()
  local i = ti
  local id = tok[i + 1]
  local s = P .. 's:' .. id
  pending[npending + 1] = lastOffset; pending[npending + 2] = id; npending = npending + 2
  local hb, act, last, T = tok[i + 3], tok[i + 4], tok[i + 5], tok[i + 6]
  local chats, bids, purchases, giveaways = tok[i + 7], tok[i + 8], tok[i + 9], tok[i + 10]
  ti = i + 10
  if tok[i + 2] == 1 then for _, op in ipairs(lifeOps[id]) do applyLife(id, s, op) end end
  local h = redis.call('HMGET', s, 'live', 'r')
  local live = h[1] == '1'
  local m, legacy = readPacked(s, h[2])
  -- written back (one HSET of r) when a number changed, and always for a live stream (score)
  local dirty = false
  -- lastActivityAt is the latest non-late activity whatever the state (batch-independent);
  -- only a live stream holds a lease
  if act > m[ACT] then m[ACT] = act; dirty = true end
  if live and act > 0 then leases[#leases + 1] = act; leases[#leases + 1] = id end
  if hb > m[HB] then m[HB] = hb; dirty = true end
  if last > m[LAST] then m[LAST] = last; dirty = true end
  local lastEventAt = m[LAST]
  if chats > 0 then m[CHATS] = m[CHATS] + chats; dirty = true end
  if bids > 0 then m[BIDS] = m[BIDS] + bids; dirty = true end
  if purchases > 0 then m[PURCHASES] = m[PURCHASES] + purchases; dirty = true end
  if giveaways > 0 then m[GIVEAWAYS] = m[GIVEAWAYS] + giveaways; dirty = true end
  i = ti
  local nGmv = tok[i + 1]
  for j = i + 2, i + 2 * nGmv, 2 do redis.call('HINCRBY', s, 'gmv:' .. tok[j], tok[j + 1]) end
  i = i + 1 + 2 * nGmv
  -- the batch's decayed deltas, read (and added to by firstSeen) in place: rates[r0 + k], k = 1..27
  local rates, r0
  if tok[i + 1] == 27 then
    rates, r0 = tok, i + 1
    i = i + 28
  else
    rates = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
    r0 = 0
    i = i + 1
  end
  local vkey = s .. ':viewers'
  local nPresence = tok[i + 1]
  local first, stop = i + 2, i + 1 + 3 * nPresence
  ti = stop
  if live and nPresence > 0 then
    local active, nActive, ended = {}, 0, nil
    for j = first, stop, 3 do
      local user, activity, endedAt = tok[j], tok[j + 1], tok[j + 2]
      if activity ~= '0' then active[nActive + 1] = activity; active[nActive + 2] = user; nActive = nActive + 2 end
      if endedAt > 0 then
        ended = ended or {}
        ended[#ended + 1] = user; ended[#ended + 1] = endedAt
      end
    end
    -- one variadic ZADD per stream and batch (chunked: unpack is bounded by Lua's C stack)
    for k = 1, nActive, 2000 do
      redis.call('ZADD', vkey, 'GT', unpack(active, k, math.min(k + 1999, nActive)))
    end
    if ended then
      for k = 1, #ended, 2 do
        local sc = redis.call('ZSCORE', vkey, ended[k])
        if sc and tonumber(sc) <= ended[k + 1] then redis.call('ZREM', vkey, ended[k]) end
      end
    end
  end
  local newViewers = uniques(s, ':uv', rates, r0 + 18, T)
  if newViewers > 0 then m[UV] = m[UV] + newViewers; dirty = true end
  uniques(s, ':ub', rates, r0 + 6, T)
  -- views in offset order; starts are written once per stream and batch (one variadic HSET), a
  -- start ended within the batch never reaches Redis, only ends of earlier starts read it (HGET)
  i = ti
  local nWatch = tok[i + 1]
  ti = i + 1 + 5 * nWatch
  if nWatch > 0 then
    local wkey = s .. ':watching'
    local opened, closed = {}, {}
    for j = i + 2, ti, 5 do
      local user, start, t = tok[j], tok[j + 1], tok[j + 2]
      if start == 1 then
        opened[user] = t; closed[user] = nil
      elseif opened[user] then
        watched(user, opened[user], t, tok[j + 3], tok[j + 4])
        opened[user] = nil; closed[user] = true
      elseif not closed[user] then
        local started = redis.call('HGET', wkey, user)
        if started then
          closed[user] = true
          watched(user, tonumber(started), t, tok[j + 3], tok[j + 4])
        end
      end
    end
    local wargs, dargs = {}, {}
    for user, t in pairs(opened) do wargs[#wargs + 1] = user; wargs[#wargs + 1] = int(t) end
    for user in pairs(closed) do dargs[#dargs + 1] = user end
    for k = 1, #wargs, 2000 do redis.call('HSET', wkey, unpack(wargs, k, math.min(k + 1999, #wargs))) end
    for k = 1, #dargs, 1000 do redis.call('HDEL', wkey, unpack(dargs, k, math.min(k + 999, #dargs))) end
  end
  local t0 = m[RT]
  if T > 0 then
    -- one decay factor per window (3 exp calls, not 27): the same doubles as computed per slot
    local forward = T >= t0
    local dt = forward and (T - t0) or (t0 - T)
    local d1, d2, d3 = math.exp(-dt / taus[1]), math.exp(-dt / taus[2]), math.exp(-dt / taus[3])
    if forward then
      for k = 1, 27, 3 do
        m[k] = m[k] * d1 + rates[r0 + k]
        m[k + 1] = m[k + 1] * d2 + rates[r0 + k + 1]
        m[k + 2] = m[k + 2] * d3 + rates[r0 + k + 2]
      end
    else
      for k = 1, 27, 3 do
        m[k] = m[k] + rates[r0 + k] * d1
        m[k + 1] = m[k + 1] + rates[r0 + k + 1] * d2
        m[k + 2] = m[k + 2] + rates[r0 + k + 2] * d3
      end
    end
    if T > t0 then m[RT] = T end
    dirty = true
  end
  if not live then
    if dirty then writePacked(s, m, legacy) end
    expireLater(s)
    return
  end
  redis.call('ZREMRANGEBYSCORE', vkey, '-inf', '(' .. int(lastEventAt - cfg.viewerLeaseMs))
  local viewers = redis.call('ZCARD', vkey)
  local peak = m[PEAK]
  if viewers > peak then peak = viewers end
  local velocity = perMin(m, 22) - perMin(m, 25)
  local score = W.viewers * viewers + W.chats * perMin(m, 2) + W.bids * perMin(m, 5) +
    W.uniqueBidders * perMin(m, 8) + W.purchases * perMin(m, 11) + W.gmv * perMin(m, 14) +
    W.giveaways * perMin(m, 17) + W.newViewers * perMin(m, 20) + W.velocity * velocity
  m[VIEWERS] = viewers; m[PEAK] = peak; m[VEL] = velocity; m[SCORE] = score
  writePacked(s, m, legacy)
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
  redis.call('ZREM', P .. 'users:seen', id)
  if touchedUsers[id] then touchedUsers[id] = false end
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
  if n == 0 then return false, 0 end
  local key = base .. suffix
  local added = false
  for j = i + 1, i + 2 * n, 2 do
    if gt then
      if redis.call('ZADD', key, 'GT', tok[j + 1], tok[j]) == 1 then added = true end
    else
      redis.call('ZINCRBY', key, tok[j + 1], tok[j])
    end
  end
  return added, n
end

local function applyUser()
  local id = nx()
  if nx() == 1 then eraseUser(id) end
  local base = P .. 'u:' .. id .. ':'
  -- trims (ZCARD + ZREMRANGEBYRANK) only when a stream new to the user appeared: amortized bounds
  local grewShown = false
  local grew, nRecent = userZset(base, 'recent', true)
  local _, nSellers = userZset(base, 'sellers', false)
  local _, nCategories = userZset(base, 'categories', false)
  -- keys are built only when written (most users touch 2-3 of their keys per batch)
  local nCounts, counts = nx(), nil
  if nCounts > 0 then counts = base .. 'seller-counts' end
  for _ = 1, nCounts do
    local sel, c, b, p = nx(), nx(), nx(), nx()
    if c ~= '0' then redis.call('HINCRBY', counts, sel .. ':chats', c) end
    if b ~= '0' then redis.call('HINCRBY', counts, sel .. ':bids', b) end
    if p ~= '0' then redis.call('HINCRBY', counts, sel .. ':purchases', p) end
  end
  local nShown = nx()
  if nRecent + nSellers + nCategories + nCounts + nShown > 0 then touchUser(id) end
  for _ = 1, nShown do
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
    trim(base .. 'sellers', cfg.userSellersMax, base .. 'seller-counts',
      {{'', ':chats'}, {'', ':bids'}, {'', ':purchases'}, {'', ':watchMs'}})
    trim(base .. 'categories', cfg.userCategoriesMax, nil, nil)
  end
  if grewShown then trim(base .. 'shown', cfg.userShownMax, base .. 'shown-counts', {{'i:', ''}, {'c:', ''}}) end
end

local n = reset(ARGV[9])
while ti < n do applyStream() end
n = reset(ARGV[10])
while ti < n do applyUser() end
if cfg.userTtlSec > 0 and #touchedList > 0 then
  local seen, at = {}, int(math.ceil(tonumber(ARGV[7]) / ${USER_SEEN_RESOLUTION_MS}) * ${USER_SEEN_RESOLUTION_MS})
  for _, id in ipairs(touchedList) do
    if touchedUsers[id] then seen[#seen + 1] = at; seen[#seen + 1] = id end
  end
  for k = 1, #seen, 2000 do redis.call('ZADD', P .. 'users:seen', 'GT', unpack(seen, k, math.min(k + 1999, #seen))) end
end
for k = 1, #leases, 2000 do redis.call('ZADD', leaseKey, 'GT', unpack(leases, k, math.min(k + 1999, #leases))) end
local pkey = P .. 'pending:' .. topic .. ':' .. partition
for k = 1, npending, 2000 do redis.call('ZADD', pkey, unpack(pending, k, math.min(k + 1999, npending))) end
local maxT = tonumber(prog[2] or '0')
if tonumber(ARGV[7]) > maxT then maxT = tonumber(ARGV[7]) end
redis.call('HSET', okey, 'offset', lastOffset, 'maxEventTime', int(maxT))
return {'applied', unpack(erased)}
`;
