/**
 * worker/lib/redis.ts against a Redis that keeps its connections but answers nothing
 * (SIGSTOP), behind the real Upstash REST bridge: every call ends at its deadline instead of
 * waiting for Redis to come back, cache reads and writes give up within their own budget, and
 * everything works again once Redis answers. (In Node: the client is the same
 * @upstash/redis build the Worker bundles, over the same fetch API.)
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashBridge, type RunningServer } from "../../dev/upstash-bridge";
import type { Config } from "../../worker/env";
import { CACHE_TIMEOUT_MS, cacheRead, cacheWrite, getRedis, redisCallDeadlineMs } from "../../worker/lib/redis";
import { startPrivateRedis, type PrivateRedis } from "../load/lib/redis-server";

const GUARD_MS = 1200;
let redis: PrivateRedis | undefined;
let bridge: RunningServer | undefined;
let config: Config;

beforeAll(async () => {
  redis = await startPrivateRedis();
  const token = randomBytes(16).toString("hex");
  bridge = await startUpstashBridge({ redisUrl: redis.url, token });
  // Only what worker/lib/redis.ts reads.
  config = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: token, REDIS_KEY_PREFIX: "t:", GUARD_REDIS_TIMEOUT_MS: GUARD_MS } as Config;
}, 30_000);

afterAll(async () => {
  redis?.resume();
  await bridge?.close();
  await redis?.stop();
});

/** Milliseconds `p` took to settle, and how. */
async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await p;
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

describe("Redis deadlines (worker/lib/redis.ts)", () => {
  it("answers normally while Redis is up", async () => {
    const r = getRedis(config);
    expect(await r.set("t:k", "v")).toBe("OK");
    expect(await cacheRead(config, () => r.get<string>("t:k"))).toBe("v");
    expect(await cacheWrite(config, () => r.set("t:k2", 1, { ex: 60 }))).toBe(true);
    expect(await r.get("t:k2")).toBe(1);
    expect(redisCallDeadlineMs(config)).toBe(GUARD_MS);
  });

  it("while Redis is paused: a call is rejected at the deadline, cache reads miss and cache writes give up within their budget", async () => {
    const r = getRedis(config);
    redis!.pause();
    try {
      // A plain call: rejected (not resolved with a placeholder) at GUARD_REDIS_TIMEOUT_MS.
      const plain = await timed(r.set("t:k", "w"));
      expect(plain.error, `resolved with ${JSON.stringify(plain.value)}`).toBeDefined();
      expect(plain.ms).toBeGreaterThanOrEqual(GUARD_MS - 50);
      expect(plain.ms).toBeLessThan(GUARD_MS + 1000);

      const read = await timed(cacheRead(config, () => r.get<string>("t:k")));
      expect(read.value).toBeNull();
      expect(read.ms).toBeLessThan(CACHE_TIMEOUT_MS + 400);

      const write = await timed(cacheWrite(config, () => r.set("t:k3", 1, { ex: 60 })));
      expect(write.value).toBe(false);
      expect(write.ms).toBeGreaterThanOrEqual(CACHE_TIMEOUT_MS - 50);
      expect(write.ms).toBeLessThan(CACHE_TIMEOUT_MS + 400);

      // A caller's shorter budget wins; a longer one is capped by the guard deadline.
      expect((await timed(cacheRead(config, () => r.get("t:k"), 100))).ms).toBeLessThan(400);
      const capped = await timed(cacheRead({ ...config, GUARD_REDIS_TIMEOUT_MS: 200 } as Config, () => r.get("t:k"), 5000));
      expect(capped.value).toBeNull();
      expect(capped.ms).toBeLessThan(700);
    } finally {
      redis!.resume();
    }
  }, 20_000);

  it("works again as soon as Redis answers", async () => {
    const r = getRedis(config);
    expect(await cacheWrite(config, () => r.set("t:k4", "x", { ex: 60 }))).toBe(true);
    expect(await cacheRead(config, () => r.get<string>("t:k4"))).toBe("x");
  }, 10_000);

  it("a failing write is a miss, never an exception", async () => {
    expect(await cacheWrite(config, () => Promise.reject(new Error("boom")))).toBe(false);
    expect(await cacheRead(config, () => Promise.reject(new Error("boom")))).toBeNull();
  });
});
