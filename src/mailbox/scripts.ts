// The mailbox's Lua: each operation on one recipient is one script, so it is atomic and one round
// trip. A recipient's two keys share one hash tag, so a script touches one Redis Cluster slot.
//
//   S = KEYS[1]  stream  the recipient's messages not yet acknowledged, oldest first; field `m`
//                        holds the message's JSON. Ids come from XADD `*`: the server's ms clock
//                        and a sequence, so they rise in the order messages were stored.
//   M = KEYS[2]  hash    f: the first id stored since the mailbox was created (or forgotten),
//                        lp: the last id stored, lt: the last id lost unread (trimmed by the cap
//                        or by age), lost: how many were lost unread
//
// Both keys expire `ttlMs` after the last post or ack: a mailbox nobody touches is forgotten.
// Each message also expires `ttlMs` after it was stored (its id's time), trimmed on every post
// and read. Acknowledged messages are deleted at once (XTRIM MINID), so every entry in S is
// unacknowledged and every trimmed one is counted as lost.
import { luaScript } from '../core/internal/luaScript.js';

const PRELUDE = `
local S, M = KEYS[1], KEYS[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function parse(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
local function lose(lastId, n)
  redis.call('HINCRBY', M, 'lost', n)
  redis.call('HSET', M, 'lt', lastId)
end
-- Messages stored more than ttl ms ago are lost unread.
local function expireOld(ttl)
  local cut = now - ttl
  if cut <= 0 then return 0 end
  local last = redis.call('XREVRANGE', S, '(' .. cut .. '-0', '-', 'COUNT', 1)
  if #last == 0 then return 0 end
  local n = redis.call('XTRIM', S, 'MINID', cut .. '-0')
  lose(last[1][1], n)
  -- Never leave the counters without an expiry (they would outlive the stream forever).
  if redis.call('PTTL', M) < 0 then redis.call('PEXPIRE', M, ttl) end
  return n
end
`;

/**
 * post(maxMessages, ttlMs, whenFull, message…) → {lost, id…}, or {-1} when whenFull is `reject`
 * and the messages do not fit.
 */
const POST = `${PRELUDE}
local maxLen, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local lost = expireOld(ttl)
if ARGV[3] == 'reject' and redis.call('XLEN', S) + #ARGV - 3 > maxLen then return {-1} end
local out = {0}
for i = 4, #ARGV do out[#out + 1] = redis.call('XADD', S, '*', 'm', ARGV[i]) end
local excess = redis.call('XLEN', S) - maxLen
if excess > 0 then
  local gone = redis.call('XRANGE', S, '-', '+', 'COUNT', excess)
  redis.call('XTRIM', S, 'MAXLEN', maxLen)
  lose(gone[#gone][1], excess)
  lost = lost + excess
end
redis.call('HSETNX', M, 'f', out[2])
redis.call('HSET', M, 'lp', out[#out])
redis.call('PEXPIRE', S, ttl)
redis.call('PEXPIRE', M, ttl)
out[1] = lost
return out
`;

/**
 * read(after, limit, ttlMs) → {gap, lost, id, json, id, json…}: up to limit messages after the
 * id (all from the start when after is ''). gap is 1 when a message after the cursor may have
 * been lost unread: one was trimmed, or the mailbox was forgotten (or Redis lost it) since the
 * cursor's message was read.
 */
const READ = `${PRELUDE}
local after, limit, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
expireOld(ttl)
local meta = redis.call('HMGET', M, 'f', 'lt', 'lost')
local gap = 0
if after ~= '' and (not meta[1] or less(after, meta[1]) or (meta[2] and less(after, meta[2]))) then
  gap = 1
end
local start = '-'
if after ~= '' then start = '(' .. after end
local entries = redis.call('XRANGE', S, start, '+', 'COUNT', limit)
local out = {gap, tonumber(meta[3] or '0')}
for _, e in ipairs(entries) do
  out[#out + 1] = e[1]
  out[#out + 1] = e[2][2]
end
return out
`;

/**
 * ack(id, ttlMs) → how many messages were deleted: every one up to the id (no further than the
 * last stored, so a cursor from the future cannot delete messages not yet read).
 */
const ACK = `${PRELUDE}
local id, ttl = ARGV[1], tonumber(ARGV[2])
local lp = redis.call('HGET', M, 'lp')
if not lp then return 0 end
if less(lp, id) then id = lp end
local dash = string.find(id, '-', 1, true)
local ms, seq = string.sub(id, 1, dash - 1), tonumber(string.sub(id, dash + 1))
local n = redis.call('XTRIM', S, 'MINID', ms .. '-' .. string.format('%.0f', seq + 1))
redis.call('PEXPIRE', S, ttl)
redis.call('PEXPIRE', M, ttl)
return n
`;

/** size(ttlMs) → {unacknowledged, lost, last id or ''}. */
const SIZE = `${PRELUDE}
expireOld(tonumber(ARGV[1]))
local meta = redis.call('HMGET', M, 'lost', 'lp')
return {redis.call('XLEN', S), tonumber(meta[1] or '0'), meta[2] or ''}
`;

/** @internal */
export const mailboxScripts = {
  post: luaScript('mailbox post', POST),
  read: luaScript('mailbox read', READ),
  ack: luaScript('mailbox ack', ACK),
  size: luaScript('mailbox size', SIZE),
};
