// The Redis job store's Lua: each JobStore operation on one partition is one script, so it is
// atomic and costs one round trip. Every key of a partition starts with the partition's prefix
// (ARGV[1]), which carries one hash tag, so a script touches one Redis Cluster slot.
//
// A partition's keys (P = the prefix):
//   P..'job'      hash   id → the job's record, JSON (see below)
//   P..'data'     hash   id → the payload, as the producer serialised it (never re-encoded here)
//   P..'ready'    zset   jobs that may run now; score = the job's ready score, member =
//                        12-digit add sequence .. id, so equal scores run first in, first out
//   P..'delayed'  zset   id by due time: jobs added with a delay (state d) or waiting out a retry (f)
//   P..'active'   zset   id by lease end: leased jobs (state a)
//   P..'done'     zset   id by completion time: completion records (state c), trimmed
//   P..'dead'     zset   id by failure time (state x)
//   P..'holder'   hash   key → the id of the one job of the key that may be ready, active or retrying
//   P..'line:'..k list   ids of the key's due jobs behind its holder, in order
//   P..'n'        hash   w: waiting jobs (ready or in a line), f: jobs in state f, s: add sequence,
//                        t: lease token counter
//
// A record holds: sc score, pr priority, du due time, ad added time, at attempts, bo backoff
// ("jitter,base,max"), k key (absent for none), m ready member, st state (w d a c f x), tk lease
// token, fa failures, in interruptions, le last error, ld last delay, fi finish time, rs result.
//
// Time is the server's (TIME), in ms since the epoch: workers whose clocks disagree still agree
// on when a lease ends. Times the client sends are shifted by (server now - client now).
import { createHash } from 'node:crypto';

/** A script with its SHA1, for EVALSHA. @internal */
export type LuaScript = { readonly source: string; readonly sha: string };

const PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function load(id)
  local raw = redis.call('HGET', P .. 'job', id)
  if not raw then return nil end
  return cjson.decode(raw)
end
local function save(id, rec)
  redis.call('HSET', P .. 'job', id, cjson.encode(rec))
end
local function ready(id, rec)
  rec.st = 'w'
  redis.call('ZADD', P .. 'ready', rec.sc, rec.m)
end
-- A job becomes due: ready, unless another job of its key holds the key.
local function becomeDue(id, rec)
  redis.call('HINCRBY', P .. 'n', 'w', 1)
  if rec.k == nil then
    ready(id, rec)
  elseif redis.call('HSETNX', P .. 'holder', rec.k, id) == 1 then
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
  local nextRec = load(nextId)
  redis.call('ZADD', P .. 'ready', nextRec.sc, nextRec.m)
end
`;

/**
 * ARGV: P, client now, wake channel, then per job: id, data, key ('' for none), score, priority,
 * due, added, attempts, backoff. Returns 1 (added) or 0 (duplicate) per job.
 */
const ADD = `${PRELUDE}
local shift = now - tonumber(ARGV[2])
local out = {}
local added = 0
for i = 4, #ARGV, 9 do
  local id = ARGV[i]
  if redis.call('HEXISTS', P .. 'job', id) == 1 then
    out[#out + 1] = 0
  else
    local seq = redis.call('HINCRBY', P .. 'n', 's', 1)
    local rec = {
      sc = tonumber(ARGV[i + 3]) + shift, pr = ARGV[i + 4], du = tonumber(ARGV[i + 5]) + shift,
      ad = tonumber(ARGV[i + 6]) + shift, at = tonumber(ARGV[i + 7]), bo = ARGV[i + 8],
      m = string.format('%012d', seq) .. id, fa = 0, ['in'] = 0, ld = 0,
    }
    if ARGV[i + 2] ~= '' then rec.k = ARGV[i + 2] end
    redis.call('HSET', P .. 'data', id, ARGV[i + 1])
    if rec.du > now then
      rec.st = 'd'
      redis.call('ZADD', P .. 'delayed', rec.du, id)
    else
      becomeDue(id, rec)
    end
    save(id, rec)
    added = added + 1
    out[#out + 1] = 1
  end
end
if added > 0 then redis.call('PUBLISH', ARGV[3], '1') end
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
  local rec = load(id)
  if rec == nil or rec.st ~= 'a' or rec.tk ~= token then
    lost[#lost + 1] = id
  else
    redis.call('ZREM', P .. 'active', id)
    rec.tk = nil
    if kind == 'c' then
      if text ~= '' then rec.rs = text end
      rec.st = 'c'
      rec.fi = now
      redis.call('ZADD', P .. 'done', now, id)
      freeKey(rec)
    elseif kind == 'x' then
      rec.fa = rec.fa + 1
      rec.le = text
      rec.st = 'x'
      rec.fi = now
      redis.call('ZADD', P .. 'dead', now, id)
      freeKey(rec)
    elseif kind == 'r' then
      local delay = tonumber(ARGV[i + 4])
      rec.fa = rec.fa + 1
      rec.le = text
      rec.ld = delay
      rec.du = now + delay
      rec.st = 'f'
      redis.call('HINCRBY', P .. 'n', 'f', 1)
      redis.call('ZADD', P .. 'delayed', rec.du, id)
    else
      rec['in'] = rec['in'] + 1
      redis.call('HINCRBY', P .. 'n', 'w', 1)
      ready(id, rec)
      woke = true
    end
    save(id, rec)
  end
end
local sweep = tonumber(ARGV[6])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'active', '-inf', now, 'LIMIT', 0, sweep)) do
  local rec = load(id)
  redis.call('ZREM', P .. 'active', id)
  rec.tk = nil
  rec['in'] = rec['in'] + 1
  redis.call('HINCRBY', P .. 'n', 'w', 1)
  ready(id, rec)
  save(id, rec)
  stalled[#stalled + 1] = id
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', now, 'LIMIT', 0, sweep)) do
  local rec = load(id)
  redis.call('ZREM', P .. 'delayed', id)
  if rec.st == 'f' then
    redis.call('HINCRBY', P .. 'n', 'f', -1)
    redis.call('HINCRBY', P .. 'n', 'w', 1)
    ready(id, rec)
  else
    becomeDue(id, rec)
  end
  save(id, rec)
end
local max = tonumber(ARGV[4])
if max > 0 then
  local leaseUntil = now + tonumber(ARGV[5])
  local popped = redis.call('ZPOPMIN', P .. 'ready', max)
  for j = 1, #popped, 2 do
    local id = string.sub(popped[j], 13)
    local rec = load(id)
    rec.st = 'a'
    rec.tk = tostring(redis.call('HINCRBY', P .. 'n', 't', 1))
    redis.call('HINCRBY', P .. 'n', 'w', -1)
    redis.call('ZADD', P .. 'active', leaseUntil, id)
    save(id, rec)
    jobs[#jobs + 1] = id
    jobs[#jobs + 1] = redis.call('HGET', P .. 'data', id)
    jobs[#jobs + 1] = cjson.encode(rec)
    jobs[#jobs + 1] = leaseUntil - shift
  end
end
-- Completion records past the count or the age, a bounded number per call.
local keep, keepMs = tonumber(ARGV[7]), tonumber(ARGV[8])
local over = redis.call('ZCARD', P .. 'done') - keep
local old = {}
if over > 0 then old = redis.call('ZRANGE', P .. 'done', 0, math.min(over, 100) - 1) end
if #old == 0 then old = redis.call('ZRANGEBYSCORE', P .. 'done', '-inf', now - keepMs, 'LIMIT', 0, 100) end
for _, id in ipairs(old) do
  redis.call('ZREM', P .. 'done', id)
  redis.call('HDEL', P .. 'job', id)
  redis.call('HDEL', P .. 'data', id)
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
local raw = redis.call('HGET', P .. 'job', ARGV[2])
if not raw then return nil end
local lease = redis.call('ZSCORE', P .. 'active', ARGV[2])
return { redis.call('HGET', P .. 'data', ARGV[2]), raw, lease and tonumber(lease) or -1 }
`;

/** ARGV: P, wake channel, limit. Returns how many dead jobs were put back. */
const RETRY_DEAD = `${PRELUDE}
local ids = redis.call('ZRANGE', P .. 'dead', 0, tonumber(ARGV[3]) - 1)
for _, id in ipairs(ids) do
  local rec = load(id)
  redis.call('ZREM', P .. 'dead', id)
  rec.fa = 0
  rec.ld = 0
  rec.fi = nil
  rec.du = now
  becomeDue(id, rec)
  save(id, rec)
end
if #ids > 0 then redis.call('PUBLISH', ARGV[2], '1') end
return #ids
`;

function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** @internal */
export const jobScripts = {
  add: script(ADD),
  take: script(TAKE),
  extend: script(EXTEND),
  counts: script(COUNTS),
  get: script(GET),
  retryDead: script(RETRY_DEAD),
};
