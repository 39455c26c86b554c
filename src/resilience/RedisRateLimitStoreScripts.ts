// Internal: the Lua twins of gcra.ts and slidingWindow.ts, run atomically by Redis. Keep them
// line-for-line equivalent to the TypeScript; the integration tests compare their decisions.
//
// Time comes from the server (`TIME`), so every process sharing a limit shares one clock. It is
// taken relative to 2023-11-14 (Unix 1_700_000_000 s) so ms values stay near 1e10, where a double
// still resolves ~2e-6 ms; from the Unix epoch (~1.7e12 ms) it would be only ~2.4e-4 ms.
// Numbers go back as `%.17g` strings: Redis would truncate a Lua number reply to an integer.
import { luaScript } from '../core/internal/luaScript.js';

const PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1700000000) * 1000 + tonumber(t[2]) / 1000
local function num(x) return string.format('%.17g', x) end
`;

/** `gcra(key, emissionIntervalMs, toleranceMs, epsilonMs, cost)`: the decision's 4 reply values. */
const GCRA = `
local function gcra(key, interval, tolerance, epsilon, cost)
  local tat = now
  local stored = tonumber(redis.call('GET', key))
  if stored ~= nil and stored > now then tat = stored end
  local increment = cost * interval
  local newTat = tat + increment
  local diff = now - (newTat - tolerance)
  local allowed, ttl, retry
  if diff < -epsilon then
    allowed = 0
    ttl = tat - now
    if increment <= tolerance + epsilon then retry = -diff else retry = -1 end
  else
    allowed = 1
    ttl = newTat - now
    retry = 0
    if cost > 0 then
      redis.call('SET', key, num(newTat), 'PX', math.max(1, math.ceil(ttl)))
    end
  end
  local nextv = tolerance - ttl
  local remaining = 0
  if nextv > -interval then remaining = math.max(0, math.floor((nextv + epsilon) / interval)) end
  return allowed, remaining, num(ttl), num(retry)
end
`;

/** `sw(key, limit, periodMs, cost)` on a hash {w, c, p}: the decision's 4 reply values. */
const SLIDING_WINDOW = `
local function sw(key, limit, period, cost)
  local window = math.floor(now / period)
  local s = redis.call('HMGET', key, 'w', 'c', 'p')
  local sw = tonumber(s[1])
  local current, previous = 0, 0
  if sw == window then
    current = tonumber(s[2])
    previous = tonumber(s[3])
  elseif sw == window - 1 then
    previous = tonumber(s[2])
  end
  local elapsed = now - window * period
  local weight = 1 - elapsed / period
  local estimate = previous * weight + current
  local allowed = 0
  if cost <= limit and estimate + cost <= limit + 1e-9 then allowed = 1 end
  local retry = 0
  if allowed == 1 then
    if cost > 0 then
      current = current + cost
      redis.call('HSET', key, 'w', num(window), 'c', num(current), 'p', num(previous))
      redis.call('PEXPIRE', key, math.max(1, math.ceil(2 * period - elapsed)))
    end
  elseif cost > limit then
    retry = -1
  else
    local room = limit - cost
    if current <= room then
      retry = math.max(0, period * (1 - (room - current) / previous) - elapsed)
    else
      retry = period - elapsed + period * math.max(0, 1 - room / current)
    end
  end
  local remaining = math.max(0, math.floor(limit - (previous * weight + current) + 1e-9))
  local reset = 0
  if current > 0 then reset = 2 * period - elapsed elseif previous > 0 then reset = period - elapsed end
  return allowed, remaining, num(reset), num(retry)
end
`;

/** KEYS[1] = TAT key; ARGV = emissionIntervalMs, toleranceMs, epsilonMs, cost. */
const GCRA_ONE = `${PRELUDE}${GCRA}
local allowed, remaining, ttl, retry = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
return {allowed, remaining, ttl, retry}
`;

/** KEYS[1] = hash {w, c, p}; ARGV = limit, periodMs, cost. */
const SLIDING_WINDOW_ONE = `${PRELUDE}${SLIDING_WINDOW}
local allowed, remaining, reset, retry = sw(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
return {allowed, remaining, reset, retry}
`;

/**
 * Many decisions in one call, in order, each exactly as its single script would decide it (all
 * at one `TIME`: they were issued together). KEYS[i] = the i-th decision's key; ARGV holds 5
 * values per decision: `g` (GCRA: interval, tolerance, epsilon, cost) or `s` (sliding window:
 * limit, period, cost, unused). Replies 4 values per decision; a decision whose Redis command
 * failed (e.g. WRONGTYPE) replies `-1, message` in its first two, without affecting the others,
 * as if it had been its own call.
 */
const BATCH = `${PRELUDE}${GCRA}${SLIDING_WINDOW}
local out = {}
local function err(e)
  if type(e) == 'table' then return e.err or tostring(e) end
  return tostring(e)
end
for i = 1, #KEYS do
  local j = (i - 1) * 5
  local ok, a, b, c, d
  if ARGV[j + 1] == 'g' then
    ok, a, b, c, d = pcall(gcra, KEYS[i], tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), tonumber(ARGV[j + 4]), tonumber(ARGV[j + 5]))
  else
    ok, a, b, c, d = pcall(sw, KEYS[i], tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), tonumber(ARGV[j + 4]))
  end
  local k = (i - 1) * 4
  if ok then
    out[k + 1] = a
    out[k + 2] = b
    out[k + 3] = c
    out[k + 4] = d
  else
    out[k + 1] = -1
    out[k + 2] = err(a)
    out[k + 3] = ''
    out[k + 4] = ''
  end
end
return out
`;

/** The GCRA script. */
export const gcraScript = luaScript('gcra', GCRA_ONE);
/** The sliding-window script. */
export const slidingWindowScript = luaScript('slidingWindow', SLIDING_WINDOW_ONE);
/** Several decisions of either algorithm, in order, in one call. */
export const batchScript = luaScript('batch', BATCH);
