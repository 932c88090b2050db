/**
 * Budget scripts (worker/stages/budget). Amounts are integer micro-euros. One hash per user
 * and month holds `spent`, `reserved` (the sum of open reservations) and one `r:<id>` field
 * per open reservation; a sorted set beside it holds each open reservation's expiry (ms),
 * so a reservation whose request died before settling is released instead of leaking.
 *
 * Each script's SHA-1 is a constant beside it; hash.test.ts recomputes them.
 */

/**
 * KEYS[1] budget hash, KEYS[2] reservation expiry zset.
 * ARGV[1] reservation id, ARGV[2] amount (micros), ARGV[3] budget (micros, -1 = unlimited),
 * ARGV[4] now (ms), ARGV[5] reservation ttl (ms), ARGV[6] key ttl (s).
 * Returns {1, spent, reserved} when reserved (reserved includes this one),
 * {0, spent, reserved} when spent + reserved + amount would pass the budget.
 */
export const BUDGET_RESERVE_SCRIPT = `local hash = KEYS[1]
local expiries = KEYS[2]
local id = ARGV[1]
local amount = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local now = tonumber(ARGV[4])

local expired = redis.call("ZRANGEBYSCORE", expiries, "-inf", now, "LIMIT", 0, 1000)
for _, rid in ipairs(expired) do
  local held = redis.call("HGET", hash, "r:" .. rid)
  if held then
    redis.call("HINCRBY", hash, "reserved", -tonumber(held))
    redis.call("HDEL", hash, "r:" .. rid)
  end
  redis.call("ZREM", expiries, rid)
end

local spent = tonumber(redis.call("HGET", hash, "spent") or "0")
local reserved = tonumber(redis.call("HGET", hash, "reserved") or "0")
if budget >= 0 and spent + reserved + amount > budget then
  return {0, spent, reserved}
end

reserved = redis.call("HINCRBY", hash, "reserved", ARGV[2])
redis.call("HSET", hash, "r:" .. id, ARGV[2])
redis.call("ZADD", expiries, now + tonumber(ARGV[5]), id)
redis.call("EXPIRE", hash, ARGV[6])
redis.call("EXPIRE", expiries, ARGV[6])
return {1, spent, reserved}
`;
export const BUDGET_RESERVE_SHA1 = "b2cba118bc5b24b7317736bd2683780cd8a1df84";

/**
 * KEYS[1] budget hash, KEYS[2] reservation expiry zset.
 * ARGV[1] reservation id, ARGV[2] actual cost (micros), ARGV[3] key ttl (s).
 * Releases the reservation if it is still open (the amount comes from Redis, not the caller)
 * and adds the actual cost to `spent` in any case: the money was spent even if the
 * reservation had expired. Returns {released 1|0, spent, reserved}.
 */
export const BUDGET_SETTLE_SCRIPT = `local hash = KEYS[1]
local expiries = KEYS[2]
local id = ARGV[1]

local released = 0
local held = redis.call("HGET", hash, "r:" .. id)
if held then
  redis.call("HINCRBY", hash, "reserved", -tonumber(held))
  redis.call("HDEL", hash, "r:" .. id)
  released = 1
end
redis.call("ZREM", expiries, id)
local spent = redis.call("HINCRBY", hash, "spent", ARGV[2])
local reserved = tonumber(redis.call("HGET", hash, "reserved") or "0")
redis.call("EXPIRE", hash, ARGV[3])
return {released, spent, reserved}
`;
export const BUDGET_SETTLE_SHA1 = "48b033e265c9daa6408fdff9d5fc20556a02ec76";
