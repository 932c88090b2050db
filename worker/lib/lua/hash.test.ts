/**
 * Each script's SHA-1 constant is the SHA-1 of its text (EVALSHA would always miss
 * otherwise), and evalScript falls back to EVAL on NOSCRIPT against the real Redis.
 */
import { env } from "cloudflare:test";
import type { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../env";
import { getRedis } from "../redis";
import { SCRIPTS, evalScript, guardedRedis, type LuaScript } from "./index";

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("lua script hashes", () => {
  for (const lua of Object.values(SCRIPTS)) {
    it(`${lua.name}: the SHA-1 constant matches the script`, async () => {
      expect(lua.sha1).toMatch(/^[0-9a-f]{40}$/);
      expect(await sha1Hex(lua.script)).toBe(lua.sha1);
    });
  }

  it("names and scripts are distinct", () => {
    const all = Object.values(SCRIPTS);
    expect(new Set(all.map((s) => s.sha1)).size).toBe(all.length);
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
  });
});

describe("evalScript", () => {
  const config = loadConfig(env);

  it("runs EVALSHA, falling back to EVAL when Redis does not know the script yet", async () => {
    const script = `-- ${crypto.randomUUID()}\nreturn tonumber(ARGV[1]) + 1\n`;
    const lua: LuaScript = { name: "probe", script, sha1: await sha1Hex(script) };
    const real = getRedis(config);
    const calls: string[] = [];
    const spy = {
      evalsha: (...a: Parameters<Redis["evalsha"]>) => (calls.push("evalsha"), real.evalsha(...a)),
      eval: (...a: Parameters<Redis["eval"]>) => (calls.push("eval"), real.eval(...a)),
    } as unknown as Redis;
    expect(await evalScript<number>(spy, lua, [], [41])).toBe(42);
    expect(calls).toEqual(["evalsha", "eval"]);
    expect(await evalScript<number>(spy, lua, [], [1])).toBe(2);
    expect(calls).toEqual(["evalsha", "eval", "evalsha"]);
  });

  it("does not hide other errors", async () => {
    const lua: LuaScript = { name: "bad", script: "return redis.call('NOPE')", sha1: await sha1Hex("return redis.call('NOPE')") };
    await expect(evalScript(getRedis(config), lua, [], [])).rejects.toThrow();
  });
});

describe("guardedRedis", () => {
  const config = loadConfig(env);

  it("turns failures and silence into 503 service_unavailable and passes AppErrors and results through", async () => {
    expect(await guardedRedis(config, "x", async () => 7)).toBe(7);
    await expect(guardedRedis(config, "x", async () => { throw new Error("boom"); })).rejects.toMatchObject({ code: "service_unavailable", status: 503 });
    const fast = { ...config, GUARD_REDIS_TIMEOUT_MS: 50 };
    await expect(guardedRedis(fast, "x", () => new Promise(() => {}))).rejects.toMatchObject({ code: "service_unavailable" });
    const { AppError } = await import("../../errors");
    await expect(guardedRedis(config, "x", async () => { throw new AppError("budget_exceeded"); })).rejects.toMatchObject({ code: "budget_exceeded" });
  });
});
