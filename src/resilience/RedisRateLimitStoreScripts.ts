// Internal: the Lua twin of gcra.ts and slidingWindow.ts, run atomically by Redis. Keep it
// line-for-line equivalent to the TypeScript; the integration tests compare their decisions.
//
// One script decides any number of calls, so a lone decision and a tick's batch share one code
// path, and its cost inside Redis is what the store is measured on (INFO commandstats, issue 18):
// - one `TIME` per call of the script: its decisions were asked for together;
// - each rule's numbers parsed once per call, each decision passing only its rule's index and
//   its cost;
// - per decision one key, one read, and one write only when it spends (a `SET … PX`: the TTL
//   rides on the write); a refusal or a cost-0 read writes nothing;
// - no number formatting on the hot path: states are stored as raw float64s (`struct.pack`),
//   exact and about 0.5 µs a decision cheaper than `%.17g` text, and durations are rounded to
//   whole ms here, as `roundUpMs` would, so they reply as integers.
//
// Time is taken relative to 2023-11-14 (Unix 1_700_000_000 s) so ms values stay near 1e10, where
// a double still resolves ~2e-6 ms; from the Unix epoch (~1.7e12 ms) it would be only ~2.4e-4 ms.
import { luaScript } from '../core/internal/luaScript.js';

/**
 * KEYS[i] = the i-th decision's key. ARGV[2i − 1], ARGV[2i] = its rule's index (from 1) and its
 * cost; after the 2n decision values, 4 per rule: `g` (GCRA: interval, tolerance, epsilon) or
 * `s` (sliding window: limit, period, unused). Replies 4 integers per decision: allowed (1/0),
 * remaining, resetMs, retryAfterMs (-1: never), the durations rounded up to whole ms. A decision
 * whose Redis command failed (e.g. WRONGTYPE) replies `-1, message, '', ''` without affecting the
 * others, as if it had been its own call.
 */
const DECIDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1700000000) * 1000 + tonumber(t[2]) / 1000

-- roundUpMs: 1000.0000001 ms (float noise) is 1000, not 1001.
local function up(ms)
  if ms <= 1e-6 then return 0 end
  return math.ceil(ms - 1e-6)
end

-- State: the theoretical arrival time (TAT), one raw float64.
local function gcra(key, interval, tolerance, epsilon, cost)
  local tat = now
  local stored = redis.call('GET', key)
  if stored then
    stored = struct.unpack('d', stored)
    if stored > now then tat = stored end
  end
  local increment = cost * interval
  local newTat = tat + increment
  local diff = now - (newTat - tolerance)
  local allowed, ttl, retry
  if diff < -epsilon then
    allowed = 0
    ttl = tat - now
    if increment <= tolerance + epsilon then retry = up(-diff) else retry = -1 end
  else
    allowed = 1
    ttl = newTat - now
    retry = 0
    if cost > 0 then
      redis.call('SET', key, struct.pack('d', newTat), 'PX', math.max(1, math.ceil(ttl)))
    end
  end
  local nextv = tolerance - ttl
  local remaining = 0
  if nextv > -interval then remaining = math.max(0, math.floor((nextv + epsilon) / interval)) end
  return allowed, remaining, up(ttl), retry
end

-- State: window index, cost in the current window, cost in the previous one: three raw float64s.
local function sw(key, limit, period, cost)
  local window = math.floor(now / period)
  local current, previous = 0, 0
  local stored = redis.call('GET', key)
  if stored then
    local w, c, p = struct.unpack('ddd', stored)
    if w == window then
      current = c
      previous = p
    elseif w == window - 1 then
      previous = c
    end
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
      redis.call('SET', key, struct.pack('ddd', window, current, previous),
        'PX', math.max(1, math.ceil(2 * period - elapsed)))
    end
  elseif cost > limit then
    retry = -1
  else
    local room = limit - cost
    if current <= room then
      retry = up(math.max(0, period * (1 - (room - current) / previous) - elapsed))
    else
      retry = up(period - elapsed + period * math.max(0, 1 - room / current))
    end
  end
  local remaining = math.max(0, math.floor(limit - (previous * weight + current) + 1e-9))
  local reset = 0
  if current > 0 then reset = 2 * period - elapsed elseif previous > 0 then reset = period - elapsed end
  return allowed, remaining, up(reset), retry
end

local function err(e)
  if type(e) == 'table' then return e.err or tostring(e) end
  return tostring(e)
end

local n = #KEYS
local rules = {}
for r = 1, (#ARGV - 2 * n) / 4 do
  local j = 2 * n + (r - 1) * 4
  rules[r] = {ARGV[j + 1] == 'g', tonumber(ARGV[j + 2]), tonumber(ARGV[j + 3]), tonumber(ARGV[j + 4])}
end
local out = {}
for i = 1, n do
  local rule = rules[tonumber(ARGV[2 * i - 1])]
  local cost = tonumber(ARGV[2 * i])
  local ok, a, b, c, d
  if rule[1] then
    ok, a, b, c, d = pcall(gcra, KEYS[i], rule[2], rule[3], rule[4], cost)
  else
    ok, a, b, c, d = pcall(sw, KEYS[i], rule[2], rule[3], cost)
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

/** Any number of decisions of either algorithm, in order, in one call. */
export const decideScript = luaScript('rateLimitDecide', DECIDE);
