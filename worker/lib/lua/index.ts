/**
 * The Worker's own Lua scripts, run with EVALSHA and a fallback to EVAL when the server
 * does not know the script yet (NOSCRIPT), as @upstash/ratelimit does; and `guardedRedis`,
 * the fail-closed wrapper of every Redis decision a guard (rate limit, budget) takes.
 */
import type { Redis } from "@upstash/redis/cloudflare";
import type { Config } from "../../env";
import { AppError } from "../../errors";
import { BUDGET_RESERVE_SCRIPT, BUDGET_RESERVE_SHA1, BUDGET_SETTLE_SCRIPT, BUDGET_SETTLE_SHA1 } from "./budget";

export interface LuaScript {
  readonly name: string;
  readonly script: string;
  /** Lowercase hex SHA-1 of `script`, checked by hash.test.ts. */
  readonly sha1: string;
}

export const SCRIPTS = {
  budgetReserve: { name: "budgetReserve", script: BUDGET_RESERVE_SCRIPT, sha1: BUDGET_RESERVE_SHA1 },
  budgetSettle: { name: "budgetSettle", script: BUDGET_SETTLE_SCRIPT, sha1: BUDGET_SETTLE_SHA1 },
} as const satisfies Record<string, LuaScript>;

export async function evalScript<T>(redis: Redis, lua: LuaScript, keys: string[], args: (string | number)[]): Promise<T> {
  try {
    return await redis.evalsha<(string | number)[], T>(lua.sha1, keys, args);
  } catch (error) {
    if (String(error).includes("NOSCRIPT")) return await redis.eval<(string | number)[], T>(lua.script, keys, args);
    throw error;
  }
}

/**
 * Runs a guard's Redis work under GUARD_REDIS_TIMEOUT_MS. Any failure (unreachable, error
 * reply, deadline passed) becomes AppError("service_unavailable") (503): guards FAIL CLOSED.
 * AppErrors thrown by `run` (e.g. a refusal) pass through unchanged.
 */
export async function guardedRedis<T>(config: Config, what: string, run: () => Promise<T>): Promise<T> {
  const ms = config.GUARD_REDIS_TIMEOUT_MS ?? 2000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: Redis gave no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([run(), deadline]);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError("service_unavailable", undefined, { cause: new Error(`${what} failed: Redis unavailable`, { cause: error }) });
  } finally {
    clearTimeout(timer);
  }
}
