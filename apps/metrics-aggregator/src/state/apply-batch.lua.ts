/**
 * The one script per batch (EVALSHA): applies a folded BatchUpdate atomically together with the
 * partition offset, or nothing when the stored offset says the batch was already applied.
 * ARGV[1] = full key prefix (ioredis keyPrefix + "agg:"), ARGV[2] = BatchUpdate JSON,
 * ARGV[3] = settings JSON (ApplySettings). Keys are built here (single Redis, not cluster).
 * Numbers are written with %.17g (exact doubles) and %d (integers): Lua's default %.14g would
 * round them. The in-memory twin (in-memory-aggregate-state.repository.ts) mirrors this logic and
 * the shared conformance suite checks both.
 */
export const APPLY_BATCH_LUA = `
local P = ARGV[1]
local u = cjson.decode(ARGV[2])
local cfg = cjson.decode(ARGV[3])
local EMPTY = {}
local function num(v) return string.format('%.17g', v) end
local function int(v) return string.format('%d', v) end
local okey = P .. 'offset:' .. u.topic .. ':' .. u.partition
local prog = redis.call('HMGET', okey, 'offset', 'maxEventTime')
if prog[1] and tonumber(prog[1]) >= tonumber(u.lastOffset) then return {'duplicate'} end
if (prog[1] or '') ~= u.expectOffset then return {'conflict', prog[1] or '', prog[2] or '0'} end
local leaseKey = P .. 'lease:' .. u.topic .. ':' .. u.partition
local taus = cfg.taus
local W = cfg.weights
local K = cfg.topK

local function trendKeys(cat, lang)
  return {P .. 'trending:all', P .. 'trending:cat:' .. cat, P .. 'trending:lang:' .. lang,
    P .. 'trending:cat-lang:' .. cat .. ':' .. lang}
end
local function removeTrending(id, cat, lang)
  if not cat or not lang then return end
  for _, k in ipairs(trendKeys(cat, lang)) do redis.call('ZREM', k, id) end
end
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
end
local function endStream(id, s, t, reason)
  local h = redis.call('HMGET', s, 'live', 'category', 'language', 'sellerId')
  if h[1] ~= '1' then return end
  redis.call('HSET', s, 'live', '0', 'endedAt', int(t), 'endReason', reason, 'viewers', '0', 'score', '0',
    'velocity', '0')
  removeTrending(id, h[2], h[3])
  redis.call('ZREM', P .. 'live', id)
  redis.call('ZREM', leaseKey, id)
  if h[4] then
    local seller = P .. 'seller:' .. h[4]
    if redis.call('HGET', seller, 'streamId') == id then redis.call('HSET', seller, 'live', '0') end
  end
  redis.call('DEL', s .. ':viewers')
  expireLater(s)
end

local function applyLife(id, s, op)
  if op.op == 'start' then
    local was = redis.call('HMGET', s, 'live', 'category', 'language')
    if was[1] == '1' then removeTrending(id, was[2], was[3]) end
    redis.call('HSET', s, 'live', '1', 'sellerId', op.sellerId, 'title', op.title, 'category', op.category,
      'language', op.language, 'startedAt', int(op.t),
      'topic', u.topic, 'partition', int(u.partition))
    redis.call('HDEL', s, 'endedAt', 'endReason')
    redis.call('PERSIST', s); redis.call('PERSIST', s .. ':uv'); redis.call('PERSIST', s .. ':ub')
    redis.call('ZADD', P .. 'live', op.t, id)
    redis.call('ZADD', leaseKey, op.t, id)
    redis.call('HSET', P .. 'seller:' .. op.sellerId, 'live', '1', 'streamId', id)
  elseif op.op == 'update' then
    local was = redis.call('HMGET', s, 'live', 'category', 'language')
    if was[1] == '1' and ((op.category and op.category ~= was[2]) or (op.language and op.language ~= was[3])) then
      removeTrending(id, was[2], was[3])
    end
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

local touchedTrending = {}
local STREAM_FIELDS = {'live', 'lastActivityAt', 'lastHeartbeatAt', 'lastEventAt', 'chats', 'bids', 'purchases',
  'giveaways', 'uniqueViewers', 'peakViewers', 'category', 'language', 'rt'}
for i = 0, 26 do STREAM_FIELDS[#STREAM_FIELDS + 1] = 'r' .. i end

-- One HMGET and one HSET per stream (plus set/zset members): calls, not bytes, are the cost.
local function applyStream(d)
  local id = d.id
  local s = P .. 's:' .. id
  for _, op in ipairs(d.life or EMPTY) do applyLife(id, s, op) end
  local h = redis.call('HMGET', s, unpack(STREAM_FIELDS))
  local live = h[1] == '1'
  local out = {}
  local function put(field, value) out[#out + 1] = field; out[#out + 1] = value end
  -- lastActivityAt is the latest non-late activity whatever the state (batch-independent);
  -- only a live stream holds a lease
  if d.act > tonumber(h[2] or '0') then put('lastActivityAt', int(d.act)) end
  if live and d.act > 0 then redis.call('ZADD', leaseKey, 'GT', d.act, id) end
  if d.hb > tonumber(h[3] or '0') then put('lastHeartbeatAt', int(d.hb)) end
  local lastEventAt = tonumber(h[4] or '0')
  if d.last > lastEventAt then lastEventAt = d.last; put('lastEventAt', int(d.last)) end
  if d.chats > 0 then put('chats', int(tonumber(h[5] or '0') + d.chats)) end
  if d.bids > 0 then put('bids', int(tonumber(h[6] or '0') + d.bids)) end
  if d.purchases > 0 then put('purchases', int(tonumber(h[7] or '0') + d.purchases)) end
  if d.giveaways > 0 then put('giveaways', int(tonumber(h[8] or '0') + d.giveaways)) end
  for cur, amount in pairs(d.gmv or EMPTY) do redis.call('HINCRBY', s, 'gmv:' .. cur, int(amount)) end
  local rates = {}
  local given = d.rates or EMPTY
  for i = 1, 27 do rates[i] = given[i] or 0 end
  local vkey = s .. ':viewers'
  if live then
    for _, p in ipairs(d.presence or EMPTY) do
      if p[2] > 0 then redis.call('ZADD', vkey, 'GT', p[2], p[1]) end
      if p[3] > 0 then
        local sc = redis.call('ZSCORE', vkey, p[1])
        if sc and tonumber(sc) <= p[3] then redis.call('ZREM', vkey, p[1]) end
      end
    end
  end
  local newViewers = 0
  for _, v in ipairs(d.viewers or EMPTY) do
    if redis.call('SADD', s .. ':uv', v[1]) == 1 then
      newViewers = newViewers + 1
      if v[3] == 0 then for w = 1, 3 do rates[18 + w] = rates[18 + w] + math.exp(-(d.T - v[2]) / taus[w]) end end
    end
  end
  if newViewers > 0 then put('uniqueViewers', int(tonumber(h[9] or '0') + newViewers)) end
  for _, b in ipairs(d.bidders or EMPTY) do
    if redis.call('SADD', s .. ':ub', b[1]) == 1 and b[3] == 0 then
      for w = 1, 3 do rates[6 + w] = rates[6 + w] + math.exp(-(d.T - b[2]) / taus[w]) end
    end
  end
  local t0 = tonumber(h[13] or '0')
  local merged = {}
  for i = 1, 27 do merged[i] = tonumber(h[13 + i] or '0') end
  if d.T > 0 then
    for i = 1, 27 do
      local tau = taus[((i - 1) % 3) + 1]
      if d.T >= t0 then merged[i] = merged[i] * math.exp(-(d.T - t0) / tau) + rates[i]
      else merged[i] = merged[i] + rates[i] * math.exp(-(t0 - d.T) / tau) end
      put('r' .. (i - 1), num(merged[i]))
    end
    put('rt', int(math.max(t0, d.T)))
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
  local function perMin(i) return merged[i] * 60000 / taus[((i - 1) % 3) + 1] end
  local velocity = perMin(22) - perMin(25)
  local score = W.viewers * viewers + W.chats * perMin(2) + W.bids * perMin(5) + W.uniqueBidders * perMin(8) +
    W.purchases * perMin(11) + W.gmv * perMin(14) + W.giveaways * perMin(17) + W.newViewers * perMin(20) +
    W.velocity * velocity
  put('viewers', int(viewers)); put('peakViewers', int(peak)); put('velocity', num(velocity)); put('score', num(score))
  redis.call('HSET', s, unpack(out))
  if h[11] and h[12] then
    for _, k in ipairs(trendKeys(h[11], h[12])) do
      redis.call('ZADD', k, num(score), id)
      touchedTrending[k] = true
    end
  end
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
  end
  redis.call('DEL', base .. 'streams', base .. 'sellers', base .. 'categories', base .. 'recent',
    base .. 'seller-counts', base .. 'watching', base .. 'shown', base .. 'shown-counts', base .. 'follows')
end

local fwdRate = math.log(2) / cfg.userHalfLifeMs
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

local function applyUser(d)
  if d.erase then eraseUser(d.id) end
  local base = P .. 'u:' .. d.id .. ':'
  local counts = base .. 'seller-counts'
  -- trims (ZCARD + ZREMRANGEBYRANK) only when a stream new to the user appeared: amortized bounds
  local grew = false
  local grewShown = false
  for sid, w in pairs(d.streams or EMPTY) do redis.call('ZINCRBY', base .. 'streams', num(w), sid) end
  for sid, t in pairs(d.recent or EMPTY) do
    if redis.call('ZADD', base .. 'recent', 'GT', t, sid) == 1 then grew = true end
  end
  for sel, w in pairs(d.sellers or EMPTY) do redis.call('ZINCRBY', base .. 'sellers', num(w), sel) end
  for cat, w in pairs(d.categories or EMPTY) do redis.call('ZINCRBY', base .. 'categories', num(w), cat) end
  for sel, c in pairs(d.sellerCounts or EMPTY) do
    if c[1] > 0 then redis.call('HINCRBY', counts, sel .. ':chats', c[1]) end
    if c[2] > 0 then redis.call('HINCRBY', counts, sel .. ':bids', c[2]) end
    if c[3] > 0 then redis.call('HINCRBY', counts, sel .. ':purchases', c[3]) end
  end
  for _, v in ipairs(d.watch or EMPTY) do
    local wk = base .. 'watching'
    if v[2] == 1 then
      if redis.call('HLEN', wk) >= 64 then redis.call('DEL', wk) end
      redis.call('HSET', wk, v[1], int(v[3]))
    else
      local started = redis.call('HGET', wk, v[1])
      if started then
        redis.call('HDEL', wk, v[1])
        local dur = math.min(cfg.watchCapMs, math.max(0, v[3] - tonumber(started)))
        local w = cfg.watchWeight * dur / 60000 * math.exp((v[3] - cfg.epochMs) * fwdRate)
        if w > 0 then
          redis.call('ZINCRBY', base .. 'streams', num(w), v[1])
          if v[4] ~= '' then
            redis.call('ZINCRBY', base .. 'sellers', num(w), v[4])
            redis.call('HINCRBY', counts, v[4] .. ':watchMs', int(dur))
          end
          if v[5] ~= '' then redis.call('ZINCRBY', base .. 'categories', num(w), v[5]) end
        end
      end
    end
  end
  for sid, sh in pairs(d.shown or EMPTY) do
    if sh[1] > 0 then redis.call('HINCRBY', base .. 'shown-counts', 'i:' .. sid, sh[1]) end
    if sh[2] > 0 then redis.call('HINCRBY', base .. 'shown-counts', 'c:' .. sid, sh[2]) end
    if redis.call('ZADD', base .. 'shown', 'GT', sh[3], sid) == 1 then grewShown = true end
  end
  for _, f in ipairs(d.follows or EMPTY) do
    local followers = P .. 'seller:' .. f[1] .. ':followers'
    if f[2] == 1 then
      redis.call('SADD', base .. 'follows', f[1]); redis.call('SADD', followers, d.id)
    else
      redis.call('SREM', base .. 'follows', f[1]); redis.call('SREM', followers, d.id)
    end
  end
  -- every stream of 'streams' entered through 'recent', and sellers/categories grow slower than
  -- streams: one ZCARD decides, the rest is trimmed together
  if grew and redis.call('ZCARD', base .. 'recent') > cfg.userRecentMax then
    trim(base .. 'streams', cfg.userRecentMax, nil, nil)
    trim(base .. 'recent', cfg.userRecentMax, nil, nil)
    trim(base .. 'sellers', cfg.userSellersMax, counts,
      {{'', ':chats'}, {'', ':bids'}, {'', ':purchases'}, {'', ':watchMs'}})
    trim(base .. 'categories', cfg.userCategoriesMax, nil, nil)
  end
  if grewShown then trim(base .. 'shown', cfg.userShownMax, base .. 'shown-counts', {{'i:', ''}, {'c:', ''}}) end
end

for _, d in ipairs(u.streams or EMPTY) do applyStream(d) end
for _, d in ipairs(u.users or EMPTY) do applyUser(d) end
for k in pairs(touchedTrending) do redis.call('ZREMRANGEBYRANK', k, 0, -(K + 1)) end
local maxT = tonumber(prog[2] or '0')
if u.maxEventTime > maxT then maxT = u.maxEventTime end
redis.call('HSET', okey, 'offset', u.lastOffset, 'maxEventTime', int(maxT))
return {'applied', unpack(erased)}
`;
