/**
 * Rate-limit stage against the real Redis (through the Upstash bridge): exact under
 * concurrency, global window, coherent headers, sign-in protection, and FAIL CLOSED when
 * Redis is down or silent (the library's fail-open timeout is off).
 */
import { env } from "cloudflare:test";
import { Hono, type MiddlewareHandler } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import "../../context";
import type { AuthUser } from "../../context";
import { loadConfig, type Config } from "../../env";
import { AppError, errorBody } from "../../errors";
import { getRedis } from "../../lib/redis";
import type { Tier } from "../../lib/tiers";
import { authRateLimit, ipBucket, limitersFor, rateLimit, requestsThisHour } from "./index";

const config = loadConfig(env);
const uid = () => crypto.randomUUID();
const newUser = (tier: Tier = "free"): AuthUser => ({ id: uid(), tier, subscriptionActive: true });
/** A config of its own (own limiter instances) under a key prefix of its own, inside the run's prefix. */
const isolated = (overrides: Partial<Config>): Config => ({
  ...config,
  REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}${uid().slice(0, 8)}:`,
  ...overrides,
});

function appWith(cfg: Config, mw: MiddlewareHandler, user?: AuthUser) {
  const app = new Hono();
  app.use(async (c, next) => {
    c.set("config", cfg);
    if (user) c.set("user", user);
    await next();
  });
  app.post("/t", mw, async (c) => {
    // The route can still read the body after authRateLimit looked at it.
    const body = c.req.header("content-type") === "application/json" ? await c.req.json().catch(() => "unparsable") : null;
    return c.json({ ok: true, body });
  });
  app.onError((err, c) => {
    if (err instanceof AppError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return c.json(errorBody(err.code, err.message, "test"), err.status as 400);
    }
    return c.json({ unexpected: String(err) }, 500);
  });
  return app;
}

const post = (app: Hono, body?: unknown, headers: Record<string, string> = {}) =>
  app.request("/t", {
    method: "POST",
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });

const codeOf = async (res: Response) => ((await res.json()) as { error?: { code: string } }).error?.code;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("rateLimit (per user, per tier)", () => {
  it("is exact under concurrency: 200 simultaneous requests of a free user -> 10 accepted, 190 x 429", async () => {
    const user = newUser("free");
    const app = appWith(config, rateLimit(), user);
    const before = Date.now();
    const responses = await Promise.all(Array.from({ length: 200 }, () => post(app)));
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(190);

    // Accepted: limit 10, remaining 9..0 each exactly once, a reset in the future.
    const remaining = ok.map((r) => Number(r.headers.get("X-RateLimit-Remaining"))).sort((a, b) => a - b);
    expect(remaining).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of ok) {
      expect(r.headers.get("X-RateLimit-Limit")).toBe("10");
      expect(Number(r.headers.get("X-RateLimit-Reset"))).toBeGreaterThan(before);
      expect(r.headers.get("Retry-After")).toBeNull();
    }
    // Refused: 429 rate_limited, remaining 0, Retry-After = seconds until the reset.
    for (const r of refused.slice(0, 20)) {
      expect(await codeOf(r)).toBe("rate_limited");
      expect(r.headers.get("X-RateLimit-Limit")).toBe("10");
      expect(r.headers.get("X-RateLimit-Remaining")).toBe("0");
      const reset = Number(r.headers.get("X-RateLimit-Reset"));
      expect(reset).toBeGreaterThan(before);
      expect(reset).toBeLessThanOrEqual(before + 3600_000 + 5_000);
      const retryAfter = Number(r.headers.get("Retry-After"));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil((reset - before) / 1000) + 1);
    }
    expect(await requestsThisHour(config, user.id, "free")).toBe(10);
  });

  it("uses the tier's limit, read from the settings", async () => {
    const cfg = isolated({ RATE_LIMIT_BASIC: 3, RATE_LIMIT_PREMIUM: 5 });
    const basic = newUser("basic");
    const premium = newUser("premium");
    const a = await Promise.all(Array.from({ length: 8 }, () => post(appWith(cfg, rateLimit(), basic))));
    const b = await Promise.all(Array.from({ length: 8 }, () => post(appWith(cfg, rateLimit(), premium))));
    expect(a.filter((r) => r.status === 200)).toHaveLength(3);
    expect(b.filter((r) => r.status === 200)).toHaveLength(5);
    expect(a[0]!.headers.get("X-RateLimit-Limit")).toBe("3");
    expect(await requestsThisHour(cfg, basic.id, "basic")).toBe(3);
    expect(await requestsThisHour(cfg, premium.id, "premium")).toBe(5);
    expect(await requestsThisHour(cfg, newUser().id, "free")).toBe(0);
  });

  it("creates the limiters once per Config object, with the fail-open timeout and the cache off", () => {
    expect(limitersFor(config)).toBe(limitersFor(config));
    const other = { ...config };
    expect(limitersFor(other)).not.toBe(limitersFor(config));
    const l = limitersFor(config);
    for (const limiter of [...Object.values(l.tiers), l.global, l.authIp, l.authAccount]) {
      // Protected fields in the typings; checked at runtime on purpose.
      const fields = limiter as unknown as { timeout: number; prefix: string };
      expect(fields.timeout).toBe(0);
      expect(fields.prefix).toBe(`${config.REDIS_KEY_PREFIX}rl`);
    }
  });

  it("refuses with 500 when mounted before the auth stage (no user)", async () => {
    const res = await post(appWith(config, rateLimit()));
    expect(res.status).toBe(500);
  });
});

describe("rateLimit (global)", () => {
  it("caps all users together, exactly, and gives the user's token back on a global refusal", async () => {
    const cfg = isolated({ RATE_LIMIT_GLOBAL: 5 });
    const users = Array.from({ length: 12 }, () => newUser("free"));
    const responses = await Promise.all(users.map((u) => post(appWith(cfg, rateLimit(), u))));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(5);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused).toHaveLength(7);
    for (const r of refused) {
      expect(await codeOf(r)).toBe("rate_limited");
      expect(r.headers.get("X-RateLimit-Limit")).toBe("5");
      expect(r.headers.get("X-RateLimit-Remaining")).toBe("0");
      expect(Number(r.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    }
    // Refused users were refunded: only the 5 accepted requests remain counted.
    const counts = await Promise.all(users.map((u) => requestsThisHour(cfg, u.id, "free")));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
  });

  it("does not count a user's refused requests against the global window", async () => {
    const cfg = isolated({ RATE_LIMIT_GLOBAL: 12, RATE_LIMIT_FREE: 2 });
    const greedy = newUser("free");
    const burst = await Promise.all(Array.from({ length: 30 }, () => post(appWith(cfg, rateLimit(), greedy))));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(2);
    // 10 more global slots remain for others.
    const others = await Promise.all(Array.from({ length: 11 }, () => post(appWith(cfg, rateLimit(), newUser("free")))));
    expect(others.filter((r) => r.status === 200)).toHaveLength(10);
  });

  it("can skip the global window (opts.global = false)", async () => {
    const cfg = isolated({ RATE_LIMIT_GLOBAL: 1 });
    const responses = await Promise.all(Array.from({ length: 3 }, () => post(appWith(cfg, rateLimit({ global: false }), newUser()))));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
  });
});

describe("fail closed", () => {
  it("Redis unreachable -> 503 service_unavailable, quickly", async () => {
    const down = { ...config, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" };
    const started = Date.now();
    const res = await post(appWith(down, rateLimit(), newUser()));
    expect(res.status).toBe(503);
    expect(await codeOf(res)).toBe("service_unavailable");
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(requestsThisHour(down, uid(), "free")).rejects.toMatchObject({ code: "service_unavailable", status: 503 });
    const auth = await post(appWith(down, authRateLimit()), { email: "a@example.test", password: "x" });
    expect(auth.status).toBe(503);
  });

  it("Redis answering an error -> 503 (e.g. a wrong token)", async () => {
    const wrong = { ...config, UPSTASH_REDIS_REST_TOKEN: "not-the-token-0123456789" };
    const res = await post(appWith(wrong, rateLimit(), newUser()));
    expect(res.status).toBe(503);
  });

  it("Redis silent -> 503 at GUARD_REDIS_TIMEOUT_MS, never the library's fail-open after 5 s", async () => {
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.startsWith("http://silent.test")) return realFetch(input, init);
      return new Promise((_, reject) => setTimeout(() => reject(new Error("gave up")), 9000));
    });
    const silent = { ...config, UPSTASH_REDIS_REST_URL: "http://silent.test", GUARD_REDIS_TIMEOUT_MS: 5600 };
    const started = Date.now();
    // One limiter only (global off): with @upstash/ratelimit's default timeout this request
    // would PASS (200) at 5 s.
    const res = await post(appWith(silent, rateLimit({ global: false }), newUser()));
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(await codeOf(res)).toBe("service_unavailable");
    expect(elapsed).toBeGreaterThanOrEqual(5500);

    const quick = { ...silent, GUARD_REDIS_TIMEOUT_MS: 200 };
    const t0 = Date.now();
    expect((await post(appWith(quick, rateLimit(), newUser()))).status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe("authRateLimit", () => {
  it("limits attempts per client IP (CF-Connecting-IP) and leaves the body to the route", async () => {
    const cfg = { ...config, AUTH_RATE_LIMIT_PER_IP: 3 };
    const app = appWith(cfg, authRateLimit());
    const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post(app, { email: `${uid()}-${i}@example.test`, password: "pw" }, { "CF-Connecting-IP": ip })),
    );
    const ok = responses.filter((r) => r.status === 200);
    expect(ok).toHaveLength(3);
    const body = (await ok[0]!.json()) as { body: { email: string } };
    expect(body.body.email).toMatch(/@example\.test$/);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused).toHaveLength(3);
    for (const r of refused) {
      expect(await codeOf(r)).toBe("rate_limited");
      const retryAfter = Number(r.headers.get("Retry-After"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(900);
    }
    // Another address is not affected.
    expect((await post(app, { email: `${uid()}@example.test`, password: "pw" }, { "CF-Connecting-IP": "192.0.2.77" })).status).toBe(200);
  });

  it("buckets IPv6 clients by /64", async () => {
    const cfg = { ...config, AUTH_RATE_LIMIT_PER_IP: 2 };
    const app = appWith(cfg, authRateLimit());
    const net = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:1`;
    const statuses = [];
    for (const host of ["::1", "::2", "::abcd:1"]) {
      statuses.push((await post(app, { email: `${uid()}@example.test`, password: "pw" }, { "CF-Connecting-IP": `${net}${host}` })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("limits attempts per account (normalized email), whatever the IP, and never stores the email in clear", async () => {
    const app = appWith(config, authRateLimit());
    const local = `Victim.${uid().slice(0, 8)}`;
    const variants = [`${local}@Example.TEST`, ` ${local.toLowerCase()}@example.test `, `${local}@example.test`];
    const responses = [];
    for (let i = 0; i < 12; i++) {
      const ip = `198.51.100.${(i * 7 + Math.floor(Math.random() * 100)) % 250}`;
      responses.push(await post(app, { email: variants[i % 3], password: `guess-${i}` }, { "CF-Connecting-IP": ip }));
    }
    expect(responses.map((r) => r.status)).toEqual([...Array(10).fill(200), 429, 429]);
    expect(Number(responses[11]!.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);

    const keys = await getRedis(config).keys(`${config.REDIS_KEY_PREFIX}rl:auth:acct:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join(" ").toLowerCase()).not.toContain(local.toLowerCase());
  });

  it("passes bodies without an email (or not JSON) to the route, counted per IP only", async () => {
    const app = appWith(config, authRateLimit());
    const res = await post(app, "{not json", { "CF-Connecting-IP": "203.0.113.9" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: unknown }).body).toBe("unparsable");
    expect((await post(app, { password: "x" }, { "CF-Connecting-IP": "203.0.113.9" })).status).toBe(200);
  });

  it("ipBucket: IPv4 as is, IPv6 by /64, IPv4-mapped as IPv4, junk and missing grouped", () => {
    expect(ipBucket("203.0.113.5")).toBe("203.0.113.5");
    expect(ipBucket(" 2001:DB8:0:12::1 ")).toBe("2001:db8:0:12::/64");
    expect(ipBucket("2001:db8:0000:0012:ffff:1:2:3")).toBe("2001:db8:0:12::/64");
    expect(ipBucket("2001:db8::")).toBe("2001:db8:0:0::/64");
    expect(ipBucket("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(ipBucket("::1")).toBe("0:0:0:0::/64");
    expect(ipBucket(undefined)).toBe("unknown");
    expect(ipBucket("")).toBe("unknown");
    expect(ipBucket("evil:key:*")).toBe("invalid");
    expect(ipBucket("1::2::3")).toBe("invalid");
    expect(ipBucket("1:2:3:4:5:6:7:8:9")).toBe("invalid");
  });
});
