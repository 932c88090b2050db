/**
 * Content moderation through the routes, against the provider double's /v1/moderations:
 * "__flag_violence__" (blocked by default), "__flag_hate__" (flagged), "__mod_fail__"
 * (HTTP 500), "__mod_slow__" (answers after 5 s); model "harmful" streams a flagged word
 * late, model "unchecked" streams "__mod_fail__" late.
 */
import { env, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { call, json, signUp } from "../support/api";
import { eventually, withDb } from "../support/db";
import { deltaText, readSse } from "../support/sse";
import { auditEvents, usage } from "../../db/schema";
import { createApp } from "../../worker/app";
import { MODERATION_MESSAGES } from "../../worker/chat/moderation";

const app = createApp();
/** One override env object per setting set: loadConfig caches per object. */
const envs = new Map<string, Record<string, unknown>>();
const envWith = (overrides: Record<string, string>) => {
  const key = JSON.stringify(overrides);
  if (!envs.has(key)) envs.set(key, { ...env, ...overrides });
  return envs.get(key)!;
};
async function callWith(overrides: Record<string, string>, path: string, init: { token: string; body: unknown; headers?: Record<string, string> }) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`https://gw.test${path}`, {
    method: "POST", headers: { authorization: `Bearer ${init.token}`, "content-type": "application/json", ...init.headers }, body: JSON.stringify(init.body),
  }), envWith(overrides), ctx);
  return { res, done: () => waitOnExecutionContext(ctx) };
}

const recorded = async (path: "/v1/chat/completions" | "/v1/moderations", marker: string) =>
  (await (await fetch(`${inject("doubleUrl")}/__control/requests?path=${path}&contains=${encodeURIComponent(marker)}`)).json()) as { body: any }[];
const chat = (token: string, body: unknown, headers?: Record<string, string>) => call("/api/chat", { token, body, headers });
const usageRow = (requestId: string) =>
  eventually(() => withDb((db) => db.select().from(usage).where(eq(usage.requestId, requestId))), (r) => r.length > 0).then((r) => r[0]);
type AuditRow = typeof auditEvents.$inferSelect;
/** Waits until `ready` holds: a request's audit rows are written after its response, in any order. */
const auditRows = (userId: string, type: string, ready: (rows: AuditRow[]) => boolean = (r) => r.length > 0) =>
  eventually(() => withDb((db) => db.select().from(auditEvents).where(and(eq(auditEvents.userId, userId), eq(auditEvents.type, type)))), ready);
const noUsageRow = async (requestId: string) => {
  await new Promise((r) => setTimeout(r, 300));
  return withDb((db) => db.select().from(usage).where(eq(usage.requestId, requestId)));
};
const mark = (tag: string) => `${tag}-${crypto.randomUUID()}`;

describe("input moderation", () => {
  it("400 content_blocked in French, audited with categories and without the text; no model call, no cost", async () => {
    const u = await signUp();
    const marker = mark("MODIN");
    const res = await chat(u.accessToken, { message: `Je veux ${marker} __flag_violence__` });
    expect(res.status).toBe(400);
    const requestId = res.headers.get("x-request-id")!;
    const err = (await json(res)).error;
    expect(err).toMatchObject({ code: "content_blocked", message: MODERATION_MESSAGES.fr.inputBlocked, requestId });
    expect(await recorded("/v1/moderations", marker)).toHaveLength(1);
    expect(await recorded("/v1/chat/completions", marker)).toHaveLength(0);
    const [row] = await auditRows(u.id, "guard.content_blocked");
    expect(row!.severity).toBe("medium");
    expect(row!.requestId).toBe(requestId);
    expect(row!.details).toMatchObject({ direction: "input", provider: "openai", categories: ["violence"], scores: { violence: 0.98 }, length: expect.any(Number), sha256: expect.any(String) });
    expect(JSON.stringify(row!.details)).not.toContain(marker);
    expect(JSON.stringify(row!.details)).not.toContain("__flag_violence__");
    expect(await noUsageRow(requestId)).toHaveLength(0);
    // Nothing stored: the user has no conversation.
    expect((await json(await call("/api/conversations", { token: u.accessToken }))).conversations ?? []).toHaveLength(0);
  });

  it("answers in English when the client prefers it", async () => {
    const u = await signUp();
    const res = await chat(u.accessToken, { message: "__flag_violence__ now" }, { "accept-language": "en-GB,en;q=0.9,fr;q=0.5" });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toBe(MODERATION_MESSAGES.en.inputBlocked);
  });

  it("never shows the moderation service personal data; a flag lets the message through and is audited low", async () => {
    const u = await signUp();
    const marker = mark("MODPII");
    const email = `jeanne.${crypto.randomUUID().slice(0, 8)}@exemple.fr`;
    const message = `${marker} écris à ${email} ou au 06 12 34 56 78 __flag_hate__`;
    const res = await chat(u.accessToken, { message, model: "echo" });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events[events.length - 1]!.event).toBe("done");
    expect(deltaText(events)).toBe(message); // the user still sees their own values
    const checks = await recorded("/v1/moderations", marker);
    expect(checks.length).toBeGreaterThanOrEqual(2); // the message, then the (echoed) answer
    for (const c of checks) {
      const sent = JSON.stringify(c.body);
      expect(sent).toContain("[EMAIL_1]");
      expect(sent).not.toContain(email);
      expect(sent).not.toContain("06 12 34 56 78");
    }
    expect(JSON.stringify(checks[0]!.body)).toContain("[PHONE_1]");
    const rows = await auditRows(u.id, "guard.content_flagged", (r) => r.some((x) => (x.details as { direction?: string }).direction === "input"));
    expect(rows.find((r) => (r.details as any).direction === "input")).toMatchObject({ severity: "low", details: { categories: ["hate"] } });
    const row = await usageRow(res.headers.get("x-request-id")!);
    expect(row!.status).toBe("ok");
    expect(row!.details).toMatchObject({ moderation: "flagged", moderationCategories: ["hate"] });
  });

  it("moderation failing: 503 service_unavailable by default (closed), 200 and marked unmoderated when open", async () => {
    const u = await signUp();
    const marker = mark("MODFAIL");
    const res = await chat(u.accessToken, { message: `${marker} __mod_fail__` });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect((await json(res)).error).toMatchObject({ code: "service_unavailable", message: MODERATION_MESSAGES.fr.inputUnavailable });
    expect(await recorded("/v1/chat/completions", marker)).toHaveLength(0);
    const [row] = await auditRows(u.id, "guard.moderation_unavailable");
    expect(row!.details).toMatchObject({ direction: "input", reason: "error", policy: "closed" });

    const open = await callWith({ MODERATION_INPUT_FAILURE: "open" }, "/api/chat", { token: u.accessToken, body: { message: `${marker} __mod_fail__ encore` } });
    expect(open.res.status).toBe(200);
    const events = await readSse(open.res);
    expect(events[events.length - 1]!.event).toBe("done");
    await open.done();
    expect(await recorded("/v1/chat/completions", marker)).toHaveLength(1);
    const usageOpen = await usageRow(open.res.headers.get("x-request-id")!);
    expect(usageOpen!.details).toMatchObject({ moderation: "unmoderated", moderationUnchecked: ["input"], moderationFailure: "error" });
  });

  it("a classifier slower than MODERATION_TIMEOUT_MS (the default 1.5 s) counts as a failure", async () => {
    const u = await signUp();
    const t0 = Date.now();
    const { res, done } = await callWith({ MODERATION_TIMEOUT_MS: "1500" }, "/api/chat", { token: u.accessToken, body: { message: "Bonjour __mod_slow__" } });
    await done();
    expect(res.status).toBe(503);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect((await json(res)).error.code).toBe("service_unavailable");
    const [row] = await auditRows(u.id, "guard.moderation_unavailable");
    expect(row!.details).toMatchObject({ direction: "input", reason: "timeout", policy: "closed" });
  });

  it("MODERATION_PROVIDER=off: no check at all, marked off", async () => {
    const u = await signUp();
    const marker = mark("MODOFF");
    const { res, done } = await callWith({ MODERATION_PROVIDER: "off" }, "/api/chat", { token: u.accessToken, body: { message: `${marker} __flag_violence__`, model: "harmful" } });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events[events.length - 1]!.event).toBe("done");
    expect(deltaText(events)).toContain("FIN-HARMFUL");
    await done();
    expect(await recorded("/v1/moderations", marker)).toHaveLength(0);
    expect((await usageRow(res.headers.get("x-request-id")!))!.details).toMatchObject({ moderation: "off" });
  });
});

describe("output moderation", () => {
  it("cuts the answer within one window of the flagged text, withdraws it, audits it and records usage", async () => {
    const u = await signUp();
    // A window shorter than the answer (the default 1,600 is longer than this ~1,930-character one).
    const { res, done } = await callWith({ MODERATION_OUTPUT_WINDOW_CHARS: "400" }, "/api/chat", { token: u.accessToken, body: { message: "Raconte-moi une histoire", model: "harmful" } });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id")!;
    const events = await readSse(res);
    await done();
    const deltas = events.filter((e) => e.event === "delta");
    expect(deltas.length).toBeGreaterThan(5); // the first windows were streamed without waiting
    const last = events[events.length - 1]!;
    expect(last).toEqual({ event: "error", data: { code: "content_blocked", message: MODERATION_MESSAGES.fr.outputBlocked } });
    expect(events.some((e) => e.event === "done")).toBe(false);
    const shown = deltaText(events);
    const flaggedAt = 950; // FILLER x 10 in dev/demo-model.ts
    expect(shown.length).toBeLessThanOrEqual(flaggedAt + 400); // MODERATION_OUTPUT_WINDOW_CHARS of this call
    expect(shown).not.toContain("FIN-HARMFUL");

    const conversationId = events[0]!.data.conversationId;
    const conv = await eventually(() => call(`/api/conversations/${conversationId}`, { token: u.accessToken }).then(json), (b: any) => b.messages?.length === 2);
    expect(conv.messages[1]).toMatchObject({ role: "assistant", withdrawn: true, content: shown });
    const [audit] = await auditRows(u.id, "guard.content_blocked");
    expect(audit!.severity).toBe("high");
    expect(audit!.details).toMatchObject({ direction: "output", provider: "openai", categories: ["violence"], shownChars: expect.any(Number) });
    expect(JSON.stringify(audit!.details)).not.toContain("__flag_violence__");
    const row = await usageRow(requestId);
    expect(row).toMatchObject({ status: "content_blocked" });
    expect(row!.outputTokens).toBeGreaterThan(0);
    expect(row!.details).toMatchObject({ blocked: "moderation", moderation: "blocked", moderationCategories: ["violence"] });
    // The withdrawn answer is not shown to the model as history afterwards.
    const marker = mark("MODHIST");
    const next = await chat(u.accessToken, { message: `Et ensuite ? ${marker}`, conversationId });
    await readSse(next);
    const [req] = await recorded("/v1/chat/completions", marker);
    expect(JSON.stringify(req!.body.messages)).not.toContain("Voici une longue réponse");
  });

  it("a smaller window cuts sooner", async () => {
    const u = await signUp();
    const { res, done } = await callWith({ MODERATION_OUTPUT_WINDOW_CHARS: "100" }, "/api/chat", { token: u.accessToken, body: { message: "Bonjour", model: "harmful" } });
    const events = await readSse(res);
    await done();
    expect(events[events.length - 1]!.data.code).toBe("content_blocked");
    expect(deltaText(events).length).toBeLessThanOrEqual(950 + 100);
  });

  it("moderation failing mid-answer: the answer finishes, marked unmoderated (open, default)", async () => {
    const u = await signUp();
    const res = await chat(u.accessToken, { message: "Bonjour", model: "unchecked" });
    const events = await readSse(res);
    expect(events[events.length - 1]!.event).toBe("done");
    expect(deltaText(events)).toContain("FIN-UNCHECKED");
    const row = await usageRow(res.headers.get("x-request-id")!);
    expect(row!.status).toBe("ok");
    expect(row!.details).toMatchObject({ moderation: "unmoderated", moderationUnchecked: ["output"], moderationFailure: "error" });
    const [audit] = await auditRows(u.id, "guard.moderation_unavailable");
    expect(audit!.details).toMatchObject({ direction: "output", policy: "open", reason: "error" });
  });

  it("moderation failing mid-answer with MODERATION_OUTPUT_FAILURE=closed: the answer stops and is withdrawn", async () => {
    const u = await signUp();
    const { res, done } = await callWith({ MODERATION_OUTPUT_FAILURE: "closed" }, "/api/chat", { token: u.accessToken, body: { message: "Bonjour", model: "unchecked" } });
    const events = await readSse(res);
    await done();
    expect(events[events.length - 1]).toEqual({ event: "error", data: { code: "service_unavailable", message: MODERATION_MESSAGES.fr.outputUnavailable } });
    expect(deltaText(events)).not.toContain("FIN-UNCHECKED");
    const conv = await eventually(() => call(`/api/conversations/${events[0]!.data.conversationId}`, { token: u.accessToken }).then(json), (b: any) => b.messages?.length === 2);
    expect(conv.messages[1].withdrawn).toBe(true);
    const row = await usageRow(res.headers.get("x-request-id")!);
    expect(row).toMatchObject({ status: "content_blocked" });
    expect(row!.details).toMatchObject({ blocked: "moderation_unavailable" });
  });
});

describe("OpenAI-compatible surface", () => {
  const v1 = (token: string, body: unknown) => call("/v1/chat/completions", { token, body });

  it("refuses a flagged message, including in the client-supplied history", async () => {
    const u = await signUp();
    const direct = await v1(u.accessToken, { model: "gpt-4o-mini", messages: [{ role: "user", content: "__flag_violence__" }] });
    expect(direct.status).toBe(400);
    expect((await json(direct)).error.code).toBe("content_blocked");
    const marker = mark("MODV1");
    const history = await v1(u.accessToken, { model: "gpt-4o-mini", messages: [
      { role: "user", content: "__flag_violence__" }, { role: "assistant", content: "..." }, { role: "user", content: `répète ${marker}` },
    ] });
    expect(history.status).toBe(400);
    expect(await recorded("/v1/chat/completions", marker)).toHaveLength(0);
  });

  it("cuts a streamed answer with an error chunk, and refuses a non-streamed one with 400", async () => {
    const u = await signUp();
    const streamed = await v1(u.accessToken, { model: "harmful", stream: true, messages: [{ role: "user", content: "Bonjour" }] });
    expect(streamed.status).toBe(200);
    const events = await readSse(streamed);
    const text = events.map((e) => e.data?.choices?.[0]?.delta?.content ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain("FIN-HARMFUL");
    expect(events.find((e) => e.event === "error")!.data).toEqual({ error: { code: "content_blocked", message: MODERATION_MESSAGES.fr.outputBlocked } });
    expect(events[events.length - 1]!.data).toBe("[DONE]");
    expect((await usageRow(streamed.headers.get("x-request-id")!))!.status).toBe("content_blocked");

    const whole = await v1(u.accessToken, { model: "harmful", messages: [{ role: "user", content: "Bonjour" }] });
    expect(whole.status).toBe(400);
    const body = await whole.text();
    expect(JSON.parse(body).error.code).toBe("content_blocked");
    expect(body).not.toContain("Voici une longue réponse");
  });
});
