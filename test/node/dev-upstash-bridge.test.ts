/**
 * dev/upstash-bridge.ts driven by the real clients: @upstash/redis and @upstash/ratelimit
 * against the local Redis, under a key prefix unique to this run (deleted afterwards).
 */
import { randomBytes } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashBridge, type RunningServer } from "../../dev/upstash-bridge";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `devtest:${randomBytes(4).toString("hex")}:`;
const token = randomBytes(16).toString("hex");
const k = (name: string) => `${prefix}${name}`;

let bridge: RunningServer;
let redis: Redis;

/** One raw REST call, as @upstash/redis sends it (base64 replies unless told otherwise). */
async function raw(path: string, body: unknown, opts: { token?: string; base64?: boolean } = {}) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${opts.token ?? token}`,
    "content-type": "application/json",
  };
  if (opts.base64 !== false) headers["upstash-encoding"] = "base64";
  const res = await fetch(`${bridge.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as unknown };
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

beforeAll(async () => {
  bridge = await startUpstashBridge({ redisUrl: REDIS_URL, token });
  redis = new Redis({ url: bridge.url, token, enableTelemetry: false, retry: { retries: 0 } });
});

afterAll(async () => {
  await bridge?.close();
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length) await client.del(keys);
  }
  await client.quit();
});

describe("Upstash bridge with @upstash/redis", () => {
  it("runs single commands: strings, counters, hashes, JSON objects", async () => {
    expect(await redis.set(k("s"), "value")).toBe("OK");
    expect(await redis.get(k("s"))).toBe("value");
    expect(await redis.incr(k("n"))).toBe(1);
    expect(await redis.incrby(k("n"), 41)).toBe(42);
    expect(await redis.hset(k("h"), { a: "1", b: "deux" })).toBe(2);
    expect(await redis.hget(k("h"), "b")).toBe("deux");
    expect(await redis.hgetall(k("h"))).toEqual({ a: 1, b: "deux" }); // automatic deserialisation
    const obj = { user: "u1", tags: ["x", "y"], nested: { ok: true, n: 3 } };
    await redis.set(k("json"), obj, { ex: 60 });
    expect(await redis.get(k("json"))).toEqual(obj);
    expect(await redis.ttl(k("json"))).toBeGreaterThan(0);
    expect(await redis.get(k("missing"))).toBeNull();
    expect(await redis.del(k("s"), k("missing"))).toBe(1);
  });

  it("runs a pipeline", async () => {
    const results = await redis.pipeline().set(k("p1"), "a").incr(k("p2")).incr(k("p2")).get(k("p1")).exec();
    expect(results).toEqual(["OK", 1, 2, "a"]);
  });

  it("runs a transaction (multi-exec)", async () => {
    const results = await redis.multi().set(k("m1"), "x").incr(k("m2")).get(k("m1")).hset(k("m3"), { f: "v" }).exec();
    expect(results).toEqual(["OK", 1, "x", 1]);
  });

  it("round-trips non-ASCII values through base64 replies", async () => {
    const text = "héllo 🚀 ünïcödé — 東京";
    await redis.set(k("utf8"), text);
    expect(await redis.get(k("utf8"))).toBe(text);
    await redis.hset(k("utf8h"), { field: text });
    expect(await redis.hget(k("utf8h"), "field")).toBe(text);
    expect(await redis.pipeline().get(k("utf8")).exec()).toEqual([text]);
  });

  it("encodes raw replies in base64 except exactly OK; numbers and null stay as they are", async () => {
    const text = "héllo 🚀";
    expect(await raw("/", ["SET", k("raw"), text])).toEqual({ status: 200, json: { result: "OK" } });
    expect(await raw("/", ["GET", k("raw")])).toEqual({ status: 200, json: { result: b64(text) } });
    expect(await raw("/", ["GET", k("raw")], { base64: false })).toEqual({ status: 200, json: { result: text } });
    expect(await raw("/", ["INCR", k("rawn")])).toEqual({ status: 200, json: { result: 1 } });
    expect(await raw("/", ["GET", k("nothing")])).toEqual({ status: 200, json: { result: null } });
    await raw("/", ["RPUSH", k("rawl"), "a", "OK", "é"]);
    expect((await raw("/", ["LRANGE", k("rawl"), "0", "-1"])).json).toEqual({ result: [b64("a"), "OK", b64("é")] });
    // RESP2 shapes, as Upstash answers: flat field/value arrays, scores as strings.
    await raw("/", ["HSET", k("rawh"), "f", "é"]);
    expect((await raw("/", ["HGETALL", k("rawh")])).json).toEqual({ result: [b64("f"), b64("é")] });
    await raw("/", ["ZADD", k("rawz"), "1.5", "m"]);
    expect((await raw("/", ["ZRANGE", k("rawz"), "0", "-1", "WITHSCORES"], { base64: false })).json).toEqual({ result: ["m", "1.5"] });
    const pipe = await raw("/pipeline", [["GET", k("raw")], ["SET", k("raw2"), "v"], ["HGET", k("raw"), "f"]]);
    expect(pipe.status).toBe(200);
    const [get, set, wrong] = pipe.json as { result?: unknown; error?: string }[];
    expect(get).toEqual({ result: b64(text) });
    expect(set).toEqual({ result: "OK" });
    expect(wrong!.error).toMatch(/WRONGTYPE/);
  });

  it("surfaces Redis errors: the client throws", async () => {
    await redis.set(k("str"), "not a hash");
    await expect(redis.hget(k("str"), "f")).rejects.toThrow(/WRONGTYPE/);
    await expect(redis.incr(k("str"))).rejects.toThrow(/not an integer/);
    const res = await raw("/", ["HGET", k("str"), "f"]);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: expect.stringMatching(/WRONGTYPE/) });
  });

  it("refuses a wrong bearer token with 401", async () => {
    const res = await raw("/", ["PING"], { token: "wrong-token-123" });
    expect(res.status).toBe(401);
    const intruder = new Redis({ url: bridge.url, token: "wrong-token-123", enableTelemetry: false, retry: { retries: 0 } });
    await expect(intruder.get(k("s"))).rejects.toThrow();
    const missing = await fetch(bridge.url, { method: "POST", body: JSON.stringify(["PING"]) });
    expect(missing.status).toBe(401);
  });

  it("answers NOSCRIPT for an unknown EVALSHA and runs EVAL, including Upstash script flags", async () => {
    await expect(redis.evalsha("0123456789abcdef0123456789abcdef01234567", [], [])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.eval("return ARGV[1] .. KEYS[1]", [k("e")], ["v:"])).toBe(`v:${k("e")}`);
    const flagged = "#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1])";
    expect(await redis.eval(flagged, [k("flag")], [])).toBe(1);
    // The client's SHA of the flagged script (what Upstash clients precompute) now works.
    const { createHash } = await import("node:crypto");
    const clientSha = createHash("sha1").update(flagged).digest("hex");
    expect(await redis.evalsha(clientSha, [k("flag")], [])).toBe(2);
    expect(await redis.scriptLoad(flagged)).toBe(clientSha);
  });

  it("lets a real @upstash/ratelimit sliding window (2 per 10 s) refuse the third call", async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(2, "10 s"),
      prefix: k("rl"),
      analytics: false,
      ephemeralCache: false,
    });
    const id = `user-${randomBytes(3).toString("hex")}`;
    const first = await limiter.limit(id);
    const second = await limiter.limit(id);
    const third = await limiter.limit(id);
    expect([first.success, second.success, third.success]).toEqual([true, true, false]);
    expect(third.remaining).toBe(0);
    expect(third.reset).toBeGreaterThan(Date.now());
    // A second limiter instance (fresh script cache) sees the same state through EVALSHA/EVAL.
    const again = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(2, "10 s"), prefix: k("rl"), analytics: false, ephemeralCache: false });
    expect((await again.limit(id)).success).toBe(false);
    expect((await again.limit(`${id}-other`)).success).toBe(true);
  });
});
