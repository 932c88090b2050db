/**
 * Rate-limit stage: a sliding window per user (limit by tier, RATE_LIMIT_<TIER> requests per
 * RATE_LIMIT_WINDOW_SECONDS), a global window over all users (RATE_LIMIT_GLOBAL), and the
 * sign-in protection of register/login (per client IP and per account).
 *
 * POLICY: FAIL CLOSED. When Redis is unreachable, answers an error or does not answer within
 * GUARD_REDIS_TIMEOUT_MS, the request is refused with 503 service_unavailable: no limit
 * check, no request. @upstash/ratelimit's own `timeout` (which lets requests PASS after 5 s
 * by default) is disabled (`timeout: 0`), and its per-isolate ephemeral cache is off, so every
 * decision is the one atomic Lua script in Redis: exact under concurrency.
 */
import { Ratelimit } from "@upstash/ratelimit";
import type { MiddlewareHandler } from "hono";
import { normalizeEmail } from "../../accounts/users";
import type { AuthUser } from "../../context";
import { sha256Hex } from "../../crypto/util";
import type { Config } from "../../env";
import { AppError } from "../../errors";
import { guardedRedis } from "../../lib/lua";
import { metricsFor } from "../../lib/metrics";
import { getRedis, redisKey } from "../../lib/redis";
import { TIERS, tierLimits, type Tier } from "../../lib/tiers";

interface Limiters {
  tiers: Record<Tier, Ratelimit>;
  global: Ratelimit;
  authIp: Ratelimit;
  authAccount: Ratelimit;
}

const cache = new WeakMap<Config, Limiters>();

function slidingWindow(config: Config, tokens: number, windowSeconds: number): Ratelimit {
  return new Ratelimit({
    redis: getRedis(config),
    limiter: Ratelimit.slidingWindow(tokens, `${windowSeconds} s`),
    prefix: redisKey(config, "rl"),
    // A per-isolate cache of refusals would make decisions inexact across isolates.
    ephemeralCache: false,
    analytics: false,
    // 0 disables the library's race against a timer that RESOLVES `success: true`
    // (fail open). Our own deadline (guardedRedis) rejects instead.
    timeout: 0,
    enableTelemetry: false,
  });
}

/** The limiters of one Config, created once per isolate and Config object. */
export function limitersFor(config: Config): Limiters {
  let l = cache.get(config);
  if (!l) {
    const window = config.RATE_LIMIT_WINDOW_SECONDS;
    const tiers = Object.fromEntries(
      TIERS.map((t) => [t, slidingWindow(config, tierLimits(config, t).requestsPerHour, window)]),
    ) as Record<Tier, Ratelimit>;
    l = {
      tiers,
      global: slidingWindow(config, config.RATE_LIMIT_GLOBAL, window),
      authIp: slidingWindow(config, config.AUTH_RATE_LIMIT_PER_IP, config.AUTH_RATE_LIMIT_WINDOW_SECONDS),
      authAccount: slidingWindow(config, config.AUTH_RATE_LIMIT_PER_ACCOUNT, config.AUTH_RATE_LIMIT_WINDOW_SECONDS),
    };
    cache.set(config, l);
  }
  return l;
}

// Every tier shares one counter per user (same prefix and identifier), so a tier change
// mid-window keeps the requests already made; only the limit changes.
const userId = (id: string) => `u:${id}`;
const GLOBAL_ID = "global";

export interface RateLimitDecision {
  success: boolean;
  /** Which window refused (or "user" when accepted). */
  scope: "user" | "global";
  limit: number;
  remaining: number;
  /** Epoch ms when the current fixed window ends (as @upstash/ratelimit reports it). */
  reset: number;
}

/**
 * Takes one request from the user's window, then from the global one. A request refused by
 * the global window gives its token back to the user's window. Throws 503 on Redis failure.
 */
export async function checkRateLimit(
  config: Config,
  user: Pick<AuthUser, "id" | "tier">,
  opts: { global?: boolean } = {},
): Promise<RateLimitDecision> {
  const l = limitersFor(config);
  const limiter = l.tiers[user.tier];
  if (!limiter) throw new AppError("internal", undefined, { cause: new Error(`unknown tier ${String(user.tier)}`) });
  return guardedRedis(config, "rate limit", async () => {
    if (opts.global === false) {
      const mine = await limiter.limit(userId(user.id));
      return { success: mine.success, scope: "user", limit: mine.limit, remaining: mine.remaining, reset: mine.reset };
    }
    // Both windows at once: the client's auto-pipelining sends them in one round trip.
    // A token taken from a window whose partner refused is given back (best effort), so a
    // refusal never costs the other window; transiently this can only refuse, never over-admit.
    const [mine, all] = await Promise.all([limiter.limit(userId(user.id)), l.global.limit(GLOBAL_ID)]);
    if (mine.success && all.success) return { success: true, scope: "user", limit: mine.limit, remaining: mine.remaining, reset: mine.reset };
    if (mine.success) await limiter.limit(userId(user.id), { rate: -1 }).catch(() => undefined);
    if (all.success) await l.global.limit(GLOBAL_ID, { rate: -1 }).catch(() => undefined);
    if (!mine.success) return { success: false, scope: "user", limit: mine.limit, remaining: mine.remaining, reset: mine.reset };
    return { success: false, scope: "global", limit: all.limit, remaining: 0, reset: all.reset };
  });
}

const retryAfterSeconds = (reset: number, now = Date.now()) => String(Math.max(1, Math.ceil((reset - now) / 1000)));

export function rateLimitHeaders(d: Pick<RateLimitDecision, "limit" | "remaining" | "reset">): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(d.limit),
    "X-RateLimit-Remaining": String(Math.max(0, d.remaining)),
    "X-RateLimit-Reset": String(d.reset),
  };
}

/**
 * Middleware for the chat routes; needs `config` and `user` in the context (after the auth
 * stage). Refusal: 429 rate_limited with Retry-After and X-RateLimit-*; success: the
 * X-RateLimit-* headers on the response.
 */
export function rateLimit(opts: { global?: boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    const config = c.get("config");
    const user = c.get("user");
    if (!user) throw new AppError("internal", undefined, { cause: new Error("rateLimit() mounted before the auth stage") });
    const d = await checkRateLimit(config, user, opts);
    c.get("timing")?.mark("ratelimit");
    const headers = rateLimitHeaders(d);
    if (!d.success) {
      metricsFor(c).recordRateLimited(user.tier);
      const message = d.scope === "global"
        ? "The service is receiving too many requests. Please try again later."
        : "You have reached the request limit of your plan. Please try again later.";
      throw new AppError("rate_limited", message, { headers: { ...headers, "Retry-After": retryAfterSeconds(d.reset) } });
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
  };
}

/** Requests counted in the user's current sliding window (for /api/me). Throws 503 on Redis failure. */
export async function requestsThisHour(config: Config, id: string, tier: Tier): Promise<number> {
  const limiter = limitersFor(config).tiers[tier];
  return guardedRedis(config, "rate limit read", async () => {
    const { remaining, limit } = await limiter.getRemaining(userId(id));
    return Math.max(0, limit - remaining);
  });
}

// --- Sign-in protection -------------------------------------------------------------------

function expandIpv6(ip: string): string[] | undefined {
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(Math.max(0, missing)).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => g.replace(/^0+(?=.)/, ""));
}

/**
 * The client's bucket for the per-IP limit: the IPv4 address, or the /64 of an IPv6 one (a
 * single subscriber usually holds a whole /64). Missing header: "unknown" (one shared bucket).
 */
export function ipBucket(header: string | undefined | null): string {
  const ip = (header ?? "").trim().toLowerCase();
  if (!ip) return "unknown";
  if (ip.length > 64 || !/^[0-9a-f:.]+$/.test(ip)) return "invalid";
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(":")) return ip;
  const groups = expandIpv6(ip);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : "invalid";
}

/** The normalized email of a JSON body, read through Hono's body cache (the route can read it again). */
async function emailOf(c: Parameters<MiddlewareHandler>[0]): Promise<string | undefined> {
  try {
    // c.req.text() caches the body: the route's own c.req.text()/json() gets the same text.
    const body: unknown = JSON.parse(await c.req.text());
    if (body && typeof body === "object" && "email" in body) {
      const email = (body as { email: unknown }).email;
      if (typeof email === "string" && email.length > 0 && email.length <= 1024) return normalizeEmail(email);
    }
  } catch {
    // Unreadable or not JSON: the route refuses it (400/413) without checking any password.
  }
  return undefined;
}

/**
 * Middleware for POST /api/auth/register and /api/auth/login: at most AUTH_RATE_LIMIT_PER_IP
 * attempts per client IP (CF-Connecting-IP) and AUTH_RATE_LIMIT_PER_ACCOUNT per email, each
 * per AUTH_RATE_LIMIT_WINDOW_SECONDS. Every attempt counts, successful or not. The email is
 * stored hashed (SHA-256), never in clear. Refusal: 429 rate_limited with Retry-After.
 */
export function authRateLimit(): MiddlewareHandler {
  return async (c, next) => {
    const config = c.get("config");
    const l = limitersFor(config);
    const ip = ipBucket(c.req.header("CF-Connecting-IP"));
    const email = await emailOf(c);
    const account = email ? (await sha256Hex(email)).slice(0, 32) : undefined;
    const refusal = await guardedRedis(config, "auth rate limit", async () => {
      const byIp = await l.authIp.limit(`auth:ip:${ip}`);
      if (!byIp.success) return byIp;
      if (account) {
        const byAccount = await l.authAccount.limit(`auth:acct:${account}`);
        if (!byAccount.success) return byAccount;
      }
      return undefined;
    });
    if (refusal) {
      throw new AppError("rate_limited", "Too many sign-in attempts. Please try again later.", {
        headers: { "Retry-After": retryAfterSeconds(refusal.reset) },
      });
    }
    await next();
  };
}
