-- The guest list's operations on Redis, one script so that each runs as one
-- atomic unit (and, with appendfsync always, is fsynced before the reply).
-- ARGV[1] is the key prefix, ARGV[2] the operation, the rest its arguments.
-- Every change that a node's cache must learn of appends an event to the
-- stream `<prefix>log` in the same unit, numbered by `<prefix>seq`.
--
-- Keys (p = prefix): p..'u:'..id user hash, p..'un:'..name and
-- p..'ue:'..email (folded) -> id, p..'users' zset of ids (lexical paging),
-- p..'r:'..name role hash, p..'roles' set, p..'ur:'..id / p..'ru:'..role
-- link sets, p..'t:'..jti token hash (EXPIREAT its expiry),
-- p..'ut:'..id zset jti -> expires_at, p..'exp' zset 'id jti' ->
-- expires_at (the purge walks it), p..'seq', p..'log', p..'meta'.

local p = ARGV[1]
local op = ARGV[2]

local function emit(kind, user)
  local seq = redis.call('INCR', p .. 'seq')
  redis.call('XADD', p .. 'log', 'MAXLEN', '~', '100000', '*', 's', seq, 'k', kind, 'u', user)
end

-- Removes one token of `uid` (its index rows too); 1 if it was there.
local function drop_token(uid, jti)
  redis.call('ZREM', p .. 'ut:' .. uid, jti)
  redis.call('ZREM', p .. 'exp', uid .. ' ' .. jti)
  return redis.call('DEL', p .. 't:' .. jti)
end

-- Removes every token of `uid` but `keep`; answers how many were live.
local function drop_all(uid, keep)
  local n = 0
  for _, jti in ipairs(redis.call('ZRANGE', p .. 'ut:' .. uid, 0, -1)) do
    if jti ~= keep then
      n = n + drop_token(uid, jti)
    end
  end
  return n
end

local function id_of(name_key)
  return redis.call('GET', p .. 'un:' .. name_key)
end

local function sign_up(at)
  local id, name_key, email_key = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  if redis.call('EXISTS', p .. 'un:' .. name_key) == 1 then return 'username' end
  if redis.call('EXISTS', p .. 'ue:' .. email_key) == 1 then return 'email' end
  redis.call('SET', p .. 'un:' .. name_key, id)
  redis.call('SET', p .. 'ue:' .. email_key, id)
  redis.call('HSET', p .. 'u:' .. id, 'email_key', email_key, unpack(ARGV, at + 4, at + 3 + tonumber(ARGV[at + 3])))
  redis.call('ZADD', p .. 'users', 0, id)
  return 'ok'
end

local function link(uid, role, granted)
  if granted == '1' then
    redis.call('SADD', p .. 'ur:' .. uid, role)
    redis.call('SADD', p .. 'ru:' .. role, uid)
  else
    redis.call('SREM', p .. 'ur:' .. uid, role)
    redis.call('SREM', p .. 'ru:' .. role, uid)
  end
  emit('roles', uid)
end

local function grant(name_key, role, granted)
  local uid = id_of(name_key)
  if not uid then return 'nouser' end
  if redis.call('EXISTS', p .. 'r:' .. role) == 0 then return 'norole' end
  link(uid, role, granted)
  return {'ok', uid}
end

-- Frees room for one more token under the cap; ARGV from `at`: max, evict,
-- then jti/last-used pairs seen in memory. Answers evicted count or 'full'.
local function make_room(uid, now, at)
  local key = p .. 'ut:' .. uid
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local held = redis.call('ZRANGE', key, 0, -1)
  local max = tonumber(ARGV[at])
  if #held < max then return 0 end
  if ARGV[at + 1] ~= '1' then return 'full' end
  local recent = {}
  for i = at + 2, #ARGV - 1, 2 do recent[ARGV[i]] = tonumber(ARGV[i + 1]) end
  local rows = {}
  for _, jti in ipairs(held) do
    local f = redis.call('HMGET', p .. 't:' .. jti, 'last_used_at', 'created_at', 'created_us')
    local used = math.max(tonumber(f[1] or 0), recent[jti] or 0)
    table.insert(rows, {jti, used, tonumber(f[2] or 0), tonumber(f[3] or 0)})
  end
  -- Least recently used first; within one second the older login first.
  table.sort(rows, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    if a[3] ~= b[3] then return a[3] < b[3] end
    return a[4] < b[4]
  end)
  local excess = #rows + 1 - max
  for i = 1, excess do drop_token(uid, rows[i][1]) end
  emit('user', uid)
  return excess
end

local function put_token(uid, jti, expires_at, at, count)
  redis.call('HSET', p .. 't:' .. jti, unpack(ARGV, at, at + count - 1))
  redis.call('EXPIREAT', p .. 't:' .. jti, expires_at)
  redis.call('ZADD', p .. 'ut:' .. uid, expires_at, jti)
  redis.call('ZADD', p .. 'exp', expires_at, uid .. ' ' .. jti)
end

if op == 'sign_up' then
  return sign_up(3)

elseif op == 'change_password' then
  local uid, hash, keep = ARGV[3], ARGV[4], ARGV[5]
  if redis.call('EXISTS', p .. 'u:' .. uid) == 0 then return false end
  redis.call('HSET', p .. 'u:' .. uid, 'password_hash', hash)
  local n = drop_all(uid, keep)
  emit('user', uid)
  return {uid, n}

elseif op == 'set_disabled' then
  local uid = id_of(ARGV[3])
  if not uid then return false end
  redis.call('HSET', p .. 'u:' .. uid, 'disabled', ARGV[4])
  local n = 0
  if ARGV[4] == '1' then n = drop_all(uid, '') end
  emit('user', uid)
  return {uid, n}

elseif op == 'delete_user' then
  local uid = id_of(ARGV[3])
  if not uid then return false end
  local n = drop_all(uid, '')
  for _, role in ipairs(redis.call('SMEMBERS', p .. 'ur:' .. uid)) do
    redis.call('SREM', p .. 'ru:' .. role, uid)
  end
  local email_key = redis.call('HGET', p .. 'u:' .. uid, 'email_key')
  redis.call('DEL', p .. 'ur:' .. uid, p .. 'ut:' .. uid, p .. 'u:' .. uid, p .. 'un:' .. ARGV[3])
  if email_key then redis.call('DEL', p .. 'ue:' .. email_key) end
  redis.call('ZREM', p .. 'users', uid)
  emit('user', uid)
  return {uid, n}

elseif op == 'create_role' then
  local name = ARGV[3]
  if redis.call('EXISTS', p .. 'r:' .. name) == 1 then return 'exists' end
  redis.call('HSET', p .. 'r:' .. name, 'name', name, 'description', ARGV[4], 'created_at', ARGV[5])
  redis.call('SADD', p .. 'roles', name)
  return 'ok'

elseif op == 'delete_role' then
  local name = ARGV[3]
  if redis.call('DEL', p .. 'r:' .. name) == 0 then return false end
  redis.call('SREM', p .. 'roles', name)
  local holders = redis.call('SMEMBERS', p .. 'ru:' .. name)
  for _, uid in ipairs(holders) do
    redis.call('SREM', p .. 'ur:' .. uid, name)
    emit('roles', uid)
  end
  redis.call('DEL', p .. 'ru:' .. name)
  return holders

elseif op == 'grant_role' then
  return grant(ARGV[3], ARGV[4], ARGV[5])

elseif op == 'seat_role_holder' then
  -- role name, description, created_at, name key, then a sign-up or none
  local role = ARGV[3]
  if redis.call('EXISTS', p .. 'r:' .. role) == 0 then
    redis.call('HSET', p .. 'r:' .. role, 'name', role, 'description', ARGV[4], 'created_at', ARGV[5])
    redis.call('SADD', p .. 'roles', role)
  end
  if #ARGV > 6 then
    local signed = sign_up(7)
    if signed ~= 'ok' then return signed end
  end
  return grant(ARGV[6], role, '1')

elseif op == 'issue_token' then
  -- uid, jti, expires_at, now, field count, fields..., max, evict, recent pairs
  local uid, jti, expires_at, now, count = ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
  local disabled = redis.call('HGET', p .. 'u:' .. uid, 'disabled')
  if not disabled or disabled == '1' then return 'nouser' end
  local evicted = make_room(uid, now, 8 + count)
  if evicted == 'full' then return 'full' end
  put_token(uid, jti, expires_at, 8, count)
  return {'ok', evicted}

elseif op == 'revoke' then
  local jti, owner = ARGV[3], ARGV[4]
  local uid = redis.call('HGET', p .. 't:' .. jti, 'user_id')
  if not uid or (owner ~= '' and owner ~= uid) then return false end
  drop_token(uid, jti)
  emit('user', uid)
  return uid

elseif op == 'revoke_all' then
  local uid = ARGV[3]
  if uid == '' then uid = id_of(ARGV[4]) end
  if not uid then return false end
  local n = drop_all(uid, ARGV[5])
  emit('user', uid)
  return {uid, n}

elseif op == 'flush_last_used' then
  local n = 0
  for i = 3, #ARGV - 1, 2 do
    local key = p .. 't:' .. ARGV[i]
    local at = tonumber(ARGV[i + 1])
    local stored = redis.call('HGET', key, 'last_used_at')
    if stored and tonumber(stored) < at then
      redis.call('HSET', key, 'last_used_at', ARGV[i + 1])
      n = n + 1
    end
  end
  return n

elseif op == 'purge_expired' then
  local due = redis.call('ZRANGEBYSCORE', p .. 'exp', '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
  for _, row in ipairs(due) do
    local space = string.find(row, ' ', 1, true)
    local uid, jti = string.sub(row, 1, space - 1), string.sub(row, space + 1)
    drop_token(uid, jti)
  end
  return #due

elseif op == 'announce_all' then
  emit('all', '')
  return 'ok'
end
return redis.error_reply('unknown operation ' .. tostring(op))
