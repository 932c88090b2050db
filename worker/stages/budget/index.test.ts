/**
 * Budget stage against the real Redis (through the Upstash bridge): reservation arithmetic,
 * refusal, exactness under concurrency, month keys, leaked reservations, unlimited tiers,
 * FAIL CLOSED.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../../env";
import { AppError } from "../../errors";
import { getRedis, redisKey } from "../../lib/redis";
import { DEFAULT_TIER_LIMITS, tierLimits } from "../../lib/tiers";
import { modelRegistry } from "../../providers/models";
import {
  BUDGET_KEY_TTL_SECONDS,
  budgetState,
  monthOf,
  reserveBudget,
  setSpentFromLedger,
  settleBudget,
  toMicros,
  worstCaseCostEur,
} from "./index";

const config = loadConfig(env);
const uid = () => crypto.randomUUID();
const NOW = Date.UTC(2026, 10, 15, 12, 0, 0); // 2026-11-15
const down: Config = { ...config, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" };

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected a refusal");
}

describe("amounts", () => {
  it("toMicros rounds up to the micro-euro, without float noise", () => {
    expect(toMicros(0)).toBe(0);
    expect(toMicros(1)).toBe(1_000_000);
    expect(toMicros(0.07)).toBe(70_000);
    expect(toMicros(0.01)).toBe(10_000);
    expect(toMicros(0.0000001)).toBe(1);
    expect(toMicros(0.0000011)).toBe(2);
    expect(() => toMicros(-1)).toThrow(RangeError);
    expect(() => toMicros(Number.NaN)).toThrow(RangeError);
  });

  it("monthOf is the UTC month", () => {
    expect(monthOf(NOW)).toBe("2026-11");
    expect(monthOf(Date.UTC(2026, 11, 31, 23, 59, 59))).toBe("2026-12");
    expect(monthOf(new Date(Date.UTC(2027, 0, 1)))).toBe("2027-01");
  });

  it("worstCaseCostEur: UTF-8 bytes + 16 per message in, the output cap out, at the model's prices", () => {
    const model = { inputEurPerMillion: 1, outputEurPerMillion: 2, maxOutputTokens: 100 };
    // "héllo" is 6 bytes, "ab" 2: (6 + 16) + (2 + 16) = 40 input tokens; 100 output tokens.
    expect(worstCaseCostEur(model, [{ content: "héllo" }, { content: "ab" }])).toBeCloseTo((40 * 1 + 100 * 2) / 1e6, 12);
    expect(worstCaseCostEur(model, [{ content: "ab" }], 10)).toBeCloseTo((18 + 20) / 1e6, 12);
    // Emoji and CJK count as their bytes (4 and 3), more than any tokenizer's token count.
    expect(worstCaseCostEur(model, [{ content: "😀漢" }], 0)).toBeCloseTo((4 + 3 + 16) / 1e6, 12);
    const mini = modelRegistry(config).get("gpt-4o-mini")!;
    const cost = worstCaseCostEur(mini, [{ content: "x".repeat(1000) }]);
    expect(cost).toBeCloseTo(((1000 + 16) * mini.inputEurPerMillion + mini.maxOutputTokens * mini.outputEurPerMillion) / 1e6, 12);
  });

  it("tierLimits reads the settings (defaults as documented)", () => {
    expect(tierLimits(config, "free")).toEqual(DEFAULT_TIER_LIMITS.free);
    expect(tierLimits(config, "enterprise")).toEqual({ requestsPerHour: 10000, budgetEur: null });
    const custom = { ...config, RATE_LIMIT_BASIC: 7, BUDGET_BASIC_EUR: 2.5, BUDGET_PREMIUM_EUR: null, BUDGET_ENTERPRISE_EUR: 500 };
    expect(tierLimits(custom, "basic")).toEqual({ requestsPerHour: 7, budgetEur: 2.5 });
    expect(tierLimits(custom, "premium").budgetEur).toBeNull();
    expect(tierLimits(custom, "enterprise").budgetEur).toBe(500);
    const parsed = loadConfig({ ...env, BUDGET_FREE_EUR: "", BUDGET_ENTERPRISE_EUR: "1000", RATE_LIMIT_FREE: "3" });
    expect(tierLimits(parsed, "free")).toEqual({ requestsPerHour: 3, budgetEur: null });
    expect(tierLimits(parsed, "enterprise").budgetEur).toBe(1000);
  });
});

describe("reserve and settle", () => {
  it("keeps spent and reserved exact", async () => {
    const userId = uid();
    const r1 = await reserveBudget({ config, userId, tier: "free", amountEur: 0.3, now: NOW });
    expect(r1).toMatchObject({ userId, month: "2026-11", amountMicros: 300_000, unlimited: false });
    const r2 = await reserveBudget({ config, userId, tier: "free", amountEur: 0.2, now: NOW });
    expect(await budgetState(config, userId, "free", NOW)).toEqual({ month: "2026-11", spentEur: 0, reservedEur: 0.5, budgetEur: 1, ratio: 0 });

    expect(await settleBudget(config, r1, 0.1)).toEqual({ released: true, spentEur: 0.1, reservedEur: 0.2 });
    expect(await settleBudget(config, r2, 0.05)).toEqual({ released: true, spentEur: 0.15, reservedEur: 0 });
    const state = await budgetState(config, userId, "free", NOW);
    expect(state).toMatchObject({ spentEur: 0.15, reservedEur: 0, budgetEur: 1 });
    expect(state.ratio).toBeCloseTo(0.15, 10);

    const key = redisKey(config, "budget", userId, "2026-11");
    const ttl = await getRedis(config).ttl(key);
    expect(ttl).toBeGreaterThan(BUDGET_KEY_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(BUDGET_KEY_TTL_SECONDS);
  });

  it("refuses with 402 budget_exceeded a reservation that would pass the budget, and reserves nothing", async () => {
    const userId = uid();
    await reserveBudget({ config, userId, tier: "free", amountEur: 0.95, now: NOW });
    const err = await refusal(reserveBudget({ config, userId, tier: "free", amountEur: 0.06, now: NOW }));
    expect(err.code).toBe("budget_exceeded");
    expect(err.status).toBe(402);
    expect(err.details).toMatchObject({ month: "2026-11", budgetEur: 1, spentEur: 0, reservedEur: 0.95 });
    expect((await budgetState(config, userId, "free", NOW)).reservedEur).toBe(0.95);
    // Exactly up to the budget is allowed.
    await reserveBudget({ config, userId, tier: "free", amountEur: 0.05, now: NOW });
    expect((await refusal(reserveBudget({ config, userId, tier: "free", amountEur: 0.000001, now: NOW }))).code).toBe("budget_exceeded");
  });

  it("under 100 concurrent reservations near the limit, exactly the affordable ones pass and spent never passes the budget", async () => {
    const userId = uid();
    await setSpentFromLedger(config, userId, "2026-11", 0.95);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => reserveBudget({ config, userId, tier: "free", amountEur: 0.01, now: NOW })),
    );
    const ok = results.filter((r) => r.status === "fulfilled").map((r) => r.value);
    const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason as AppError);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(95);
    expect(refused.every((e) => e instanceof AppError && e.code === "budget_exceeded")).toBe(true);
    expect(await budgetState(config, userId, "free", NOW)).toMatchObject({ spentEur: 0.95, reservedEur: 0.05 });

    // Settle at actual costs <= reserved (some full, some less), concurrently.
    const actuals = [0.01, 0.004, 0.01, 0.0099, 0];
    await Promise.all(ok.map((r, i) => settleBudget(config, r, actuals[i]!)));
    const state = await budgetState(config, userId, "free", NOW);
    expect(state.reservedEur).toBe(0);
    expect(toMicros(state.spentEur)).toBe(toMicros(0.95) + actuals.reduce((a, b) => a + toMicros(b), 0));
    expect(state.spentEur).toBeLessThanOrEqual(1);

    // Another round: what is left (1 - 0.9839 = 0.0161) is the most anyone can reserve.
    const round2 = await Promise.allSettled(
      Array.from({ length: 50 }, () => reserveBudget({ config, userId, tier: "free", amountEur: 0.001, now: NOW })),
    );
    expect(round2.filter((r) => r.status === "fulfilled")).toHaveLength(16);
    const s2 = await budgetState(config, userId, "free", NOW);
    expect(s2.spentEur + s2.reservedEur).toBeLessThanOrEqual(1);
  });

  it("uses a new key each UTC month", async () => {
    const userId = uid();
    const endOfJan = Date.UTC(2026, 0, 31, 23, 59, 59);
    const startOfFeb = Date.UTC(2026, 1, 1, 0, 0, 1);
    const jan = await reserveBudget({ config, userId, tier: "free", amountEur: 0.9, now: endOfJan });
    const feb = await reserveBudget({ config, userId, tier: "free", amountEur: 0.9, now: startOfFeb });
    expect([jan.month, feb.month]).toEqual(["2026-01", "2026-02"]);
    await settleBudget(config, jan, 0.8);
    expect(await budgetState(config, userId, "free", endOfJan)).toMatchObject({ month: "2026-01", spentEur: 0.8, reservedEur: 0 });
    expect(await budgetState(config, userId, "free", startOfFeb)).toMatchObject({ month: "2026-02", spentEur: 0, reservedEur: 0.9 });
    expect(await getRedis(config).exists(redisKey(config, "budget", userId, "2026-01"), redisKey(config, "budget", userId, "2026-02"))).toBe(2);
  });

  it("releases a reservation that was never settled after BUDGET_RESERVATION_TTL_SECONDS", async () => {
    const userId = uid();
    const ttlMs = config.BUDGET_RESERVATION_TTL_SECONDS * 1000;
    const lost = await reserveBudget({ config, userId, tier: "free", amountEur: 0.9, now: NOW });
    expect((await refusal(reserveBudget({ config, userId, tier: "free", amountEur: 0.2, now: NOW + ttlMs - 1 }))).code).toBe("budget_exceeded");
    const next = await reserveBudget({ config, userId, tier: "free", amountEur: 0.2, now: NOW + ttlMs + 1 });
    expect((await budgetState(config, userId, "free", NOW)).reservedEur).toBe(0.2);
    // A late settlement of the released reservation still counts what was spent, once.
    expect(await settleBudget(config, lost, 0.3)).toEqual({ released: false, spentEur: 0.3, reservedEur: 0.2 });
    expect(await settleBudget(config, next, 0.2)).toEqual({ released: true, spentEur: 0.5, reservedEur: 0 });
  });

  it("setSpentFromLedger overwrites spent only", async () => {
    const userId = uid();
    await reserveBudget({ config, userId, tier: "basic", amountEur: 2, now: NOW });
    await setSpentFromLedger(config, userId, "2026-11", 3.25);
    const state = await budgetState(config, userId, "basic", NOW);
    expect(state).toMatchObject({ spentEur: 3.25, reservedEur: 2, budgetEur: 10 });
    expect(state.ratio).toBeCloseTo(0.325, 10);
    await expect(setSpentFromLedger(config, userId, "2026-13", 1)).rejects.toThrow(RangeError);
  });
});

describe("unlimited tiers", () => {
  it("enterprise reserves nothing, is never refused, and still counts spent", async () => {
    const userId = uid();
    const r = await reserveBudget({ config, userId, tier: "enterprise", amountEur: 1_000_000, now: NOW });
    expect(r).toMatchObject({ unlimited: true, amountMicros: 0, month: "2026-11" });
    expect(await settleBudget(config, r, 2.5)).toMatchObject({ released: false, spentEur: 2.5, reservedEur: 0 });
    expect(await budgetState(config, userId, "enterprise", NOW)).toEqual({ month: "2026-11", spentEur: 2.5, reservedEur: 0, budgetEur: null, ratio: null });
  });

  it("a tier configured with an empty budget is unlimited; a configured amount applies", async () => {
    const userId = uid();
    const cfg = { ...config, BUDGET_FREE_EUR: null, BUDGET_ENTERPRISE_EUR: 0.5 };
    expect((await reserveBudget({ config: cfg, userId, tier: "free", amountEur: 50, now: NOW })).unlimited).toBe(true);
    await reserveBudget({ config: cfg, userId, tier: "enterprise", amountEur: 0.5, now: NOW });
    expect((await refusal(reserveBudget({ config: cfg, userId, tier: "enterprise", amountEur: 0.01, now: NOW }))).code).toBe("budget_exceeded");
  });
});

describe("fail closed", () => {
  it("Redis unreachable -> 503 service_unavailable for reserve, settle, state and reconcile, quickly", async () => {
    const started = Date.now();
    const err = await refusal(reserveBudget({ config: down, userId: uid(), tier: "free", amountEur: 0.01, now: NOW }));
    expect(err.code).toBe("service_unavailable");
    expect(err.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    const r = { id: uid(), userId: uid(), month: "2026-11", amountMicros: 10, unlimited: false };
    expect((await refusal(settleBudget(down, r, 0.01))).code).toBe("service_unavailable");
    expect((await refusal(budgetState(down, uid(), "free", NOW))).code).toBe("service_unavailable");
    expect((await refusal(setSpentFromLedger(down, uid(), "2026-11", 1))).code).toBe("service_unavailable");
  });
});
