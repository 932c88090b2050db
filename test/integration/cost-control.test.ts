import { env, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { eq, inArray } from "drizzle-orm";
import { admin, call, GOOD_PASSWORD, json, signUp, uniqueEmail } from "../support/api";
import { eventually, testConfig, withDb } from "../support/db";
import { readSse } from "../support/sse";
import { conversations, usage } from "../../db/schema";
import { createApp } from "../../worker/app";
import { budgetState, monthOf, setSpentFromLedger } from "../../worker/stages/budget";
import { outboxStub } from "../../worker/durable/outbox";

const app = createApp();
/** One override env object per setting set: loadConfig caches per object. */
const envs = new Map<string, Record<string, unknown>>();
const envWith = (overrides: Record<string, string>) => {
  const key = JSON.stringify(overrides);
  if (!envs.has(key)) envs.set(key, { ...env, ...overrides });
  return envs.get(key)!;
};
async function callWith(overrides: Record<string, string>, path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const ctx = createExecutionContext();
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await app.fetch(new Request(`https://gw.test${path}`, { method: init.method ?? (init.body ? "POST" : "GET"), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) }), envWith(overrides), ctx);
  return { res, done: () => waitOnExecutionContext(ctx) };
}
// Chat calls only: the moderation stage also sends the (masked) message to the double's /v1/moderations.
const received = async (marker: string) => (await (await fetch(`${inject("doubleUrl")}/__control/requests?path=/v1/chat/completions&contains=${encodeURIComponent(marker)}`)).json()) as unknown[];
const alerts = async () => (await (await fetch(`${inject("sinkUrl")}/__control/received`)).json()) as { kind: string; path: string; body: any }[];

describe("rate limits", () => {
  it("200 simultaneous chats from one free user: exactly 10 accepted, the rest 429 with headers", async () => {
    const u = await signUp();
    await call("/api/me", { token: u.accessToken }); // warm the user cache: 200 cold lookups would exhaust local PostgreSQL connections
    const responses = await Promise.all(Array.from({ length: 200 }, () => call("/api/chat", { token: u.accessToken, body: { message: "Bonjour" } })));
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(10);
    expect(limited).toHaveLength(190);
    await Promise.all(ok.map((r) => readSse(r)));
    const r = limited[0]!;
    expect((await json(r)).error.code).toBe("rate_limited");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(r.headers.get("x-ratelimit-limit")).toBe("10");
    expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(r.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now());
    expect(ok[0]!.headers.get("x-ratelimit-limit")).toBe("10");
    const me = await json(await call("/api/me", { token: u.accessToken }));
    expect(me.usage.requestsThisHour).toBe(10);
  });

  it("limits sign-in attempts per account and per IP", async () => {
    const email = uniqueEmail("brute");
    const o = { AUTH_RATE_LIMIT_PER_ACCOUNT: "3", AUTH_RATE_LIMIT_PER_IP: "1000" };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { res } = await callWith(o, "/api/auth/login", { body: { email, password: "Wrong-password-123" } });
      statuses.push(res.status);
      if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const ip = { AUTH_RATE_LIMIT_PER_IP: "2", AUTH_RATE_LIMIT_PER_ACCOUNT: "1000" };
    const ipHeader = { "cf-connecting-ip": `203.0.113.${Math.floor(Math.random() * 250)}` };
    const byIp: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { res } = await callWith(ip, "/api/auth/register", { headers: ipHeader, body: { email: uniqueEmail("ip"), password: GOOD_PASSWORD, consent: { terms: true, version: "v1" } } });
      byIp.push(res.status);
    }
    expect(byIp).toEqual([201, 201, 429]);
  });
});

describe("monthly budget", () => {
  it("402 budget_exceeded when the reservation would pass the budget; /api/me shows warning and block", async () => {
    const u = await signUp();
    const config = testConfig();
    await setSpentFromLedger(config, u.id, monthOf(Date.now()), 0.85);
    const me = await json(await call("/api/me", { token: u.accessToken }));
    expect(me.budget).toMatchObject({ warning: true, blocked: false });
    expect(me.usage.costThisMonthEur).toBeCloseTo(0.85);
    await setSpentFromLedger(config, u.id, monthOf(Date.now()), 1);
    const res = await call("/api/chat", { token: u.accessToken, body: { message: "Bonjour" } });
    expect(res.status).toBe(402);
    expect((await json(res)).error.code).toBe("budget_exceeded");
    expect((await json(await call("/api/me", { token: u.accessToken }))).budget.blocked).toBe(true);
  });

  it("under 100 concurrent chats near the limit, the month's spend never passes the budget", async () => {
    const u = await signUp();
    await admin(`/users/${u.id}`, { method: "PATCH", body: { tier: "premium" } }); // 1000/h, 100 EUR
    await readSse(await call("/api/chat", { token: u.accessToken, body: { message: "warm caches" } }));
    const config = testConfig();
    await setSpentFromLedger(config, u.id, monthOf(Date.now()), 99.9975);
    const responses = await Promise.all(Array.from({ length: 100 }, () => call("/api/chat", { token: u.accessToken, body: { message: "Bonjour" } })));
    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 402);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(ok.length + refused.length).toBe(100);
    await Promise.all(ok.map((r) => readSse(r)));
    const state = await eventually(() => budgetState(config, u.id, "premium"), (s) => s.reservedEur === 0);
    expect(state.reservedEur).toBe(0);
    expect(state.spentEur).toBeGreaterThan(99.9975);
    expect(state.spentEur).toBeLessThanOrEqual(100);
  });
});

describe("circuit breaker through the chat route", () => {
  const o = { BREAKER_FAILURE_THRESHOLD: "5", BREAKER_COOLDOWN_MS: "60000" };
  it("opens after 5 failures, then refuses at once without calling the provider, alerts, and fails over", async () => {
    const ns = env.CIRCUIT_BREAKER as DurableObjectNamespace;
    await (ns.get(ns.idFromName("anthropic")) as unknown as { reset(): Promise<unknown> }).reset();
    const u = await signUp();
    await admin(`/users/${u.id}`, { method: "PATCH", body: { tier: "premium" } });
    for (let i = 0; i < 5; i++) {
      const { res, done } = await callWith(o, "/api/chat", { token: u.accessToken, body: { message: `échec ${i}`, model: "anthropic-fail" } });
      expect(res.status).toBe(503);
      await done();
    }
    const marker = `BRK-${crypto.randomUUID()}`;
    const { res, done } = await callWith(o, "/api/chat", { token: u.accessToken, body: { message: marker, model: "anthropic-fail" } });
    expect(res.status).toBe(503);
    expect((await json(res)).error.code).toBe("provider_unavailable");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    await done();
    expect(await received(marker)).toHaveLength(0);
    const sent = await eventually(alerts, (a) => a.some((x) => JSON.stringify(x.body).includes("anthropic")));
    expect(sent.some((x) => JSON.stringify(x.body).match(/circuit_open|Circuit opened/i))).toBe(true);
    // A model with a fallback goes to another provider while its own circuit is open.
    const fo = await callWith(o, "/api/chat", { token: u.accessToken, body: { message: "Bonjour", model: "anthropic-ok" } });
    expect(fo.res.status).toBe(200);
    const events = await readSse(fo.res);
    expect(events[0]!.data.model).toBe("mistral-small");
    await fo.done();
    const snapshot = await (ns.get(ns.idFromName("anthropic")) as unknown as { snapshot(): Promise<{ state: string }> }).snapshot();
    expect(snapshot.state).toBe("open");
  });

  it("failover to a cheaper model: the reservation made for the primary is given back and the fallback's decides", async () => {
    // The breaker and the budget run at the same time, the budget for the requested model.
    const ns = env.CIRCUIT_BREAKER as DurableObjectNamespace;
    const circuit = ns.get(ns.idFromName("anthropic")) as unknown as { reset(): Promise<unknown>; report(r: object): Promise<unknown>; snapshot(): Promise<{ state: string }> };
    await circuit.reset();
    for (let i = 0; i < 5; i++) await circuit.report({ success: false, countsAsFailure: true, threshold: 5, cooldownMs: 60_000 });
    expect((await circuit.snapshot()).state).toBe("open");
    const cheap = { inputEurPerMillion: 1, outputEurPerMillion: 2, maxOutputTokens: 256 };
    // Worst case of the primary ≈ 0.51 EUR: it cannot fit next to 0.6 EUR spent of the free 1 EUR; the fallback's ≈ 0.0005 EUR can.
    const models = {
      "gpt-4o-mini": { provider: "openai", upstream: "demo", ...cheap },
      "cheap-fallback": { provider: "mistral", upstream: "demo", ...cheap },
      "pricey-primary": { provider: "anthropic", upstream: "demo", inputEurPerMillion: 1000, outputEurPerMillion: 2000, maxOutputTokens: 256, fallback: "cheap-fallback" },
    };
    const o2 = { ...o, MODELS_JSON: JSON.stringify(models) };
    const config = testConfig();
    const month = monthOf(Date.now());
    for (const spent of [0, 0.6]) {
      const u = await signUp();
      await setSpentFromLedger(config, u.id, month, spent);
      const { res, done } = await callWith(o2, "/api/chat", { token: u.accessToken, body: { message: "Bonjour", model: "pricey-primary" } });
      expect(res.status, `spent ${spent}`).toBe(200);
      const events = await readSse(res);
      expect(events[0]!.data.model).toBe("cheap-fallback");
      await done();
      // Nothing stays reserved (the primary's reservation was released, not left to expire),
      // and the spend is the fallback's, far below the primary's worst case.
      const state = await eventually(() => budgetState(config, u.id, "free"), (st) => st.reservedEur === 0 && st.spentEur > spent);
      expect(state.reservedEur).toBe(0);
      expect(state.spentEur - spent).toBeGreaterThan(0);
      expect(state.spentEur - spent).toBeLessThan(0.001);
    }
    await circuit.reset();
  });
});

describe("failure policies", () => {
  it("Redis down: chat answers 503 (fails closed)", async () => {
    const u = await signUp();
    const { res, done } = await callWith({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" }, "/api/chat", { token: u.accessToken, body: { message: "Bonjour" } });
    expect(res.status).toBe(503);
    expect((await json(res)).error.code).toBe("service_unavailable");
    await done();
    // Operations hear of it (the dedup store is down too, so the isolate throttles itself).
    const sent = await eventually(alerts, (a) => a.some((x) => JSON.stringify(x.body).includes("redis_down")));
    expect(sent.some((x) => JSON.stringify(x.body).includes("redis_down"))).toBe(true);
  });

  it("PostgreSQL down: chat goes on, rows wait in the outbox, and land exactly once when it is back", async () => {
    const u = await signUp();
    // Warm the Redis copies the chat needs while PostgreSQL is away (user, data key).
    await readSse(await call("/api/chat", { token: u.accessToken, body: { message: "avant la coupure" } }));
    const pgDown = { DATABASE_URL: "postgres://postgres@127.0.0.1:1/unreachable" };
    const N = 4;
    const ids: string[] = [];
    const convs: string[] = [];
    for (let i = 0; i < N; i++) {
      const { res, done } = await callWith(pgDown, "/api/chat", { token: u.accessToken, body: { message: `pendant la coupure ${i}` } });
      expect(res.status).toBe(200);
      const events = await readSse(res);
      expect(events[events.length - 1]!.event).toBe("done");
      ids.push(res.headers.get("x-request-id")!);
      convs.push(events[0]!.data.conversationId);
      await done();
    }
    expect(await withDb((db) => db.select().from(usage).where(inArray(usage.requestId, ids)))).toHaveLength(0);
    const outbox = outboxStub(env.OUTBOX as DurableObjectNamespace);
    expect(await outbox.size()).toBeGreaterThanOrEqual(N);
    // PostgreSQL is back: flush (the alarm and the hourly cron do the same), twice to prove idempotence.
    await outbox.flush();
    await outbox.flush();
    const rows = await withDb((db) => db.select().from(usage).where(inArray(usage.requestId, ids)));
    expect(rows).toHaveLength(N);
    const stored = await withDb((db) => db.select().from(conversations).where(inArray(conversations.id, convs)));
    expect(stored).toHaveLength(N);
    const conv = await json(await call(`/api/conversations/${convs[0]}`, { token: u.accessToken }));
    expect(conv.messages.map((m: any) => m.content)[0]).toBe("pendant la coupure 0");
    void eq;
  });
});
