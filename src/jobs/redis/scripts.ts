// The Redis job store's Lua: each JobStore operation on one partition is one script, so it is
// atomic and costs one round trip. Every key of a partition starts with the partition's prefix
// (ARGV[1]), which carries one hash tag, so a script touches one Redis Cluster slot.
//
// A partition's keys (P = the prefix):
//   P..'job'      hash   id → the job's record and its payload (the producer's JSON, never
//                        decoded here), packed together with MessagePack: one field per job
//   P..'r:'..pr   list   jobs of priority level pr that may run now, as '<score>:<id>', first in
//                        first out; a job coming back (a retry, a lost lease, a hand-back, its
//                        key's turn) goes to the front. take leases the lowest score of the heads.
//   P..'lv'       set    the level names that have had a ready list
//   P..'delayed'  zset   id by due time: jobs added with a delay (state d) or waiting out a retry (f)
//   P..'active'   zset   id by lease end: leased jobs (state a)
//   P..'done'     zset   id by completion time: completion records (state c), trimmed
//   P..'dead'     zset   id by failure time (state x)
//   P..'holder'   hash   key → the id of the one job of the key that may be ready, active or retrying
//   P..'line:'..k list   ids of the key's due jobs behind its holder, in order
//   P..'n'        hash   w: waiting jobs (ready or in a line), f: jobs in state f, t: lease token
//                        counter
//
// A record holds: sc score, pr priority, ad added time, du due time (absent: ad), at attempts,
// bo backoff ("jitter,base,max"), k key (absent for none), st state (w d a c f x),
// tk lease token (kept after a settlement until the next lease, so that a repeated settlement is
// recognised; cleared when an expired lease is recovered), fa failures, in interruptions, ld last delay (absent: 0), le last error, fi finish
// time, rs result. Counters and delays that are 0 are left out: every byte is paid per job.
//
// Time is the server's (TIME), in ms since the epoch: workers whose clocks disagree still agree
// on when a lease ends. Times the client sends are shifted by (server now - client now).
import { luaScript } from '../../core/internal/luaScript.js';

const PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dw, df = 0, 0 -- changes of the waiting and failed counters, written once at the end
local function load(id)
  local raw = redis.call('HGET', P .. 'job', id)
  if not raw then return nil end
  return cmsgpack.unpack(raw)
end
local function save(id, rec, data)
  redis.call('HSET', P .. 'job', id, cmsgpack.pack(rec, data))
end
local levels = {}
-- Puts a job on its level's ready list: at the back, or at the front for one coming back.
local function ready(id, rec, front)
  rec.st = 'w'
  redis.call(front and 'LPUSH' or 'RPUSH', P .. 'r:' .. rec.pr, string.format('%.0f', rec.sc) .. ':' .. id)
  if not levels[rec.pr] then
    levels[rec.pr] = true
    redis.call('SADD', P .. 'lv', rec.pr)
  end
end
-- A job becomes due: ready, unless another job of its key holds the key.
local function becomeDue(id, rec)
  dw = dw + 1
  if rec.k == nil or redis.call('HSETNX', P .. 'holder', rec.k, id) == 1 then
    ready(id, rec)
  else
    rec.st = 'w'
    redis.call('RPUSH', P .. 'line:' .. rec.k, id)
  end
end
-- A job completed or went dead: the next of its key's line may run.
local function freeKey(rec)
  if rec.k == nil then return end
  local nextId = redis.call('LPOP', P .. 'line:' .. rec.k)
  if not nextId then
    redis.call('HDEL', P .. 'holder', rec.k)
    return
  end
  redis.call('HSET', P .. 'holder', rec.k, nextId)
  ready(nextId, load(nextId), true)
end
local function counters()
  if dw ~= 0 then redis.call('HINCRBY', P .. 'n', 'w', dw) end
  if df ~= 0 then redis.call('HINCRBY', P .. 'n', 'f', df) end
end
`;

/**
 * ARGV: P, client now, wake channel, then per job: id, data, key ('' for none), score, priority,
 * due, added, attempts, backoff. Returns 1 (added) or 0 (duplicate) per job.
 */
const ADD = `${PRELUDE}
local shift = now - tonumber(ARGV[2])
local out = {}
local fresh = {}
for i = 4, #ARGV, 9 do
  if redis.call('HEXISTS', P .. 'job', ARGV[i]) == 1 then
    out[#out + 1] = 0
  else
    out[#out + 1] = 1
    fresh[#fresh + 1] = i
  end
end
if #fresh == 0 then return out end
for _, i in ipairs(fresh) do
  local id = ARGV[i]
  local added = tonumber(ARGV[i + 6]) + shift
  local due = tonumber(ARGV[i + 5]) + shift
  local rec = { sc = tonumber(ARGV[i + 3]) + shift, pr = ARGV[i + 4], ad = added, at = tonumber(ARGV[i + 7]), bo = ARGV[i + 8] }
  if due ~= added then rec.du = due end
  if ARGV[i + 2] ~= '' then rec.k = ARGV[i + 2] end
  if due > now then
    rec.st = 'd'
    redis.call('ZADD', P .. 'delayed', due, id)
  else
    becomeDue(id, rec)
  end
  save(id, rec, ARGV[i + 1])
end
counters()
redis.call('PUBLISH', ARGV[3], '1')
return out
`;

/**
 * ARGV: P, client now, wake channel, max, lease ms, sweep limit, keep count, keep ms, then per
 * settlement: kind (c x r l), id, token, text (result or error, '' for none), delay ms.
 * Returns { lost ids, stalled ids, jobs (id, data, record, lease end) flat, next at (client clock) or -1 }.
 */
const TAKE = `${PRELUDE}
local shift = now - tonumber(ARGV[2])
local lost, stalled, jobs = {}, {}, {}
local woke = false
for i = 9, #ARGV, 5 do
  local kind, id, token, text = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local rec, data = load(id)
  if rec == nil or rec.tk ~= token then
    lost[#lost + 1] = id
  elseif rec.st ~= 'a' then
    -- This lease was settled already (a retried call whose first answer was lost): done, no-op.
  else
    redis.call('ZREM', P .. 'active', id)
    if kind == 'c' then
      if text ~= '' then rec.rs = text end
      rec.st = 'c'
      rec.fi = now
      redis.call('ZADD', P .. 'done', now, id)
      freeKey(rec)
    elseif kind == 'x' then
      rec.fa = (rec.fa or 0) + 1
      rec.le = text
      rec.st = 'x'
      rec.fi = now
      redis.call('ZADD', P .. 'dead', now, id)
      freeKey(rec)
    elseif kind == 'r' then
      local delay = tonumber(ARGV[i + 4])
      rec.fa = (rec.fa or 0) + 1
      rec.le = text
      rec.ld = delay
      rec.du = now + delay
      rec.st = 'f'
      df = df + 1
      redis.call('ZADD', P .. 'delayed', rec.du, id)
    else
      rec['in'] = (rec['in'] or 0) + 1
      dw = dw + 1
      ready(id, rec, true)
      woke = true
    end
    save(id, rec, data)
  end
end
local sweep = tonumber(ARGV[6])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'active', '-inf', now, 'LIMIT', 0, sweep)) do
  local rec, data = load(id)
  redis.call('ZREM', P .. 'active', id)
  rec.tk = nil
  rec['in'] = (rec['in'] or 0) + 1
  dw = dw + 1
  ready(id, rec, true)
  save(id, rec, data)
  stalled[#stalled + 1] = id
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, sweep)) do
  local rec, data = load(id)
  redis.call('ZREM', P .. 'delayed', id)
  if rec.st == 'f' then
    df = df - 1
    dw = dw + 1
    ready(id, rec, true)
  else
    becomeDue(id, rec)
  end
  save(id, rec, data)
end
local max = tonumber(ARGV[4])
if max > 0 then
  local leaseUntil = now + tonumber(ARGV[5])
  -- The heads of the level lists; each pop takes the lowest score and reads that list's next head.
  local heads = {}
  for _, level in ipairs(redis.call('SMEMBERS', P .. 'lv')) do
    local head = redis.call('LINDEX', P .. 'r:' .. level, 0)
    if head then heads[level] = head end
  end
  local picked = {}
  while #picked < max do
    local best, bestScore
    for level, head in pairs(heads) do
      local score = tonumber(string.sub(head, 1, string.find(head, ':', 1, true) - 1))
      if bestScore == nil or score < bestScore or (score == bestScore and level < best) then
        best, bestScore = level, score
      end
    end
    if best == nil then break end
    local head = heads[best]
    picked[#picked + 1] = string.sub(head, string.find(head, ':', 1, true) + 1)
    redis.call('LPOP', P .. 'r:' .. best)
    heads[best] = redis.call('LINDEX', P .. 'r:' .. best, 0) or nil
  end
  if #picked > 0 then
    local token = redis.call('HINCRBY', P .. 'n', 't', #picked) - #picked
    dw = dw - #picked
    for _, id in ipairs(picked) do
      local rec, data = load(id)
      token = token + 1
      rec.st = 'a'
      rec.tk = tostring(token)
      redis.call('ZADD', P .. 'active', leaseUntil, id)
      save(id, rec, data)
      jobs[#jobs + 1] = id
      jobs[#jobs + 1] = data
      jobs[#jobs + 1] = cjson.encode(rec)
      jobs[#jobs + 1] = leaseUntil - shift
    end
  end
end
counters()
-- Completion records past the count or the age, a bounded number per call.
local keep, keepMs = tonumber(ARGV[7]), tonumber(ARGV[8])
local over = redis.call('ZCARD', P .. 'done') - keep
local old = {}
if over > 0 then old = redis.call('ZRANGE', P .. 'done', 0, math.min(over, 100) - 1) end
if #old == 0 then old = redis.call('ZRANGEBYSCORE', P .. 'done', '-inf', now - keepMs, 'LIMIT', 0, 100) end
if #old > 0 then
  redis.call('ZREM', P .. 'done', unpack(old))
  redis.call('HDEL', P .. 'job', unpack(old))
end
if woke then redis.call('PUBLISH', ARGV[3], '1') end
local nextAt = -1
local due = redis.call('ZRANGE', P .. 'delayed', 0, 0, 'WITHSCORES')
if due[2] then nextAt = tonumber(due[2]) end
local lease = redis.call('ZRANGE', P .. 'active', 0, 0, 'WITHSCORES')
if lease[2] and (nextAt < 0 or tonumber(lease[2]) < nextAt) then nextAt = tonumber(lease[2]) end
if nextAt >= 0 then nextAt = nextAt - shift end
return { lost, stalled, jobs, nextAt }
`;

/** ARGV: P, lease ms, then id, token pairs. Returns the ids whose lease was lost. */
const EXTEND = `${PRELUDE}
local leaseUntil = now + tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV, 2 do
  local rec = load(ARGV[i])
  if rec == nil or rec.st ~= 'a' or rec.tk ~= ARGV[i + 1] then
    lost[#lost + 1] = ARGV[i]
  else
    redis.call('ZADD', P .. 'active', 'XX', leaseUntil, ARGV[i])
  end
end
return lost
`;

/** ARGV: P. Returns waiting, delayed, active, completed, failed, dead. */
const COUNTS = `${PRELUDE}
local w = tonumber(redis.call('HGET', P .. 'n', 'w') or '0')
local f = tonumber(redis.call('HGET', P .. 'n', 'f') or '0')
return { w, redis.call('ZCARD', P .. 'delayed') - f, redis.call('ZCARD', P .. 'active'),
  redis.call('ZCARD', P .. 'done'), f, redis.call('ZCARD', P .. 'dead') }
`;

/** ARGV: P, id. Returns { data, record, lease end (server clock) or -1 } or nil. */
const GET = `${PRELUDE}
local rec, data = load(ARGV[2])
if rec == nil then return nil end
local lease = redis.call('ZSCORE', P .. 'active', ARGV[2])
return { data, cjson.encode(rec), lease and tonumber(lease) or -1 }
`;

/** ARGV: P, wake channel, limit. Returns how many dead jobs were put back. */
const RETRY_DEAD = `${PRELUDE}
local ids = redis.call('ZRANGE', P .. 'dead', 0, tonumber(ARGV[3]) - 1)
for _, id in ipairs(ids) do
  local rec, data = load(id)
  redis.call('ZREM', P .. 'dead', id)
  rec.fa = nil
  rec.ld = nil
  rec.fi = nil
  rec.du = now
  becomeDue(id, rec)
  save(id, rec, data)
end
counters()
if #ids > 0 then redis.call('PUBLISH', ARGV[2], '1') end
return #ids
`;

/** @internal */
export const jobScripts = {
  add: luaScript('add', ADD),
  take: luaScript('take', TAKE),
  extend: luaScript('extend', EXTEND),
  counts: luaScript('counts', COUNTS),
  get: luaScript('get', GET),
  retryDead: luaScript('retryDead', RETRY_DEAD),
};
