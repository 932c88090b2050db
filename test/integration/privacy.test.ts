import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { GOOD_PASSWORD, admin, call, json, signUp } from "../support/api";
import { eventually, testConfig, withDb } from "../support/db";
import { deltaText, readSse } from "../support/sse";
import { auditEvents, conversations, messages, refreshTokens, reviews, userKeys, users } from "../../db/schema";
import { getRedis, redisKey } from "../../worker/lib/redis";

const chat = (token: string, body: unknown) => call("/api/chat", { token, body });
async function chatDone(token: string, message: string) {
  const res = await chat(token, { message });
  expect(res.status).toBe(200);
  const events = await readSse(res);
  return { events, requestId: res.headers.get("x-request-id")!, conversationId: events[0]!.data.conversationId as string };
}

describe("GDPR consents", () => {
  it("records consent at sign-up and lets the user withdraw and give processing consent", async () => {
    const u = await signUp();
    const initial = await json(await call("/api/me/consents", { token: u.accessToken }));
    expect(initial.current.terms).toMatchObject({ granted: true, version: "2026-11" });
    expect(initial.current.processing.granted).toBe(true);
    const withdrawn = await call("/api/me/consents", { token: u.accessToken, body: { kind: "processing", granted: false } });
    expect(withdrawn.status).toBe(201);
    const refused = await chat(u.accessToken, { message: "Bonjour" });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.code).toBe("consent_required");
    const v1 = await call("/v1/chat/completions", { token: u.accessToken, body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Bonjour" }] } });
    expect(v1.status).toBe(403);
    await call("/api/me/consents", { token: u.accessToken, body: { kind: "processing", granted: true } });
    const again = await chat(u.accessToken, { message: "Bonjour" });
    expect(again.status).toBe(200);
    await readSse(again);
    const history = (await json(await call("/api/me/consents", { token: u.accessToken }))).history;
    expect(history.filter((h: any) => h.kind === "processing").map((h: any) => h.granted)).toEqual([true, false, true]);
  });

  it("refuses bad consent bodies and unauthenticated calls", async () => {
    const u = await signUp();
    expect((await call("/api/me/consents", { token: u.accessToken, body: { kind: "marketing", granted: true } })).status).toBe(400);
    expect((await call("/api/me/consents", { token: u.accessToken, body: { kind: "processing" } })).status).toBe(400);
    expect((await call("/api/me/consents")).status).toBe(401);
  });
});

describe("GDPR export", () => {
  it("exports everything held about the user as a JSON attachment, conversations decrypted", async () => {
    const u = await signUp();
    const marker = `EXPORT-${crypto.randomUUID()}`;
    const first = await chatDone(u.accessToken, `Bonjour ${marker}`);
    await eventually(() => call(`/api/conversations/${first.conversationId}`, { token: u.accessToken }).then(json), (b: any) => b.messages?.length === 2);
    const res = await call("/api/me/export", { token: u.accessToken });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="unialist-export-\d{4}-\d{2}-\d{2}\.json"$/);
    const data = await json(res);
    expect(data.profile).toMatchObject({ id: u.id, email: u.email, tier: "free" });
    expect(data.consents.current.processing.granted).toBe(true);
    expect(data.conversations[0].messages[0].content).toBe(`Bonjour ${marker}`);
    expect(data.usage.some((x: any) => x.requestId === first.requestId)).toBe(true);
    expect(data.auditEvents.some((a: any) => a.type === "auth.registered")).toBe(true);
    expect((await call("/api/me/export")).status).toBe(401);
  });
});

describe("GDPR erasure", () => {
  it("refuses without the right password", async () => {
    const u = await signUp();
    expect((await call("/api/me", { method: "DELETE", token: u.accessToken, body: { password: "Not-the-password-1" } })).status).toBe(403);
    expect((await call("/api/me", { method: "DELETE", token: u.accessToken, body: {} })).status).toBe(400);
    expect((await call("/api/me", { method: "DELETE", body: { password: GOOD_PASSWORD } })).status).toBe(401);
    expect((await call("/api/me", { token: u.accessToken })).status).toBe(200);
  });

  it("shreds the data key, deletes content, anonymizes the user, revokes tokens, keeps audit rows without personal data", async () => {
    const u = await signUp();
    const marker = `ERASE-${crypto.randomUUID()}`;
    const c1 = await chatDone(u.accessToken, `Mon secret ${marker}`);
    await eventually(() => withDb((db) => db.select().from(messages).where(eq(messages.conversationId, c1.conversationId))), (r) => r.length === 2);
    const res = await call("/api/me", { method: "DELETE", token: u.accessToken, body: { password: GOOD_PASSWORD } });
    expect(res.status).toBe(200);
    const { receipt } = await json(res);
    expect(receipt).toMatchObject({ subject: u.id, dataKeyDestroyed: true, conversationsDeleted: 1, messagesDeleted: 2, tokensRevoked: expect.any(Number) });
    expect(receipt.receiptId).toMatch(/^[0-9a-f-]{36}$/);
    // Sign-in fails, the old tokens are refused.
    expect((await call("/api/auth/login", { body: { email: u.email, password: GOOD_PASSWORD } })).status).toBe(401);
    expect((await call("/api/me", { token: u.accessToken })).status).toBe(401);
    expect((await call("/api/auth/refresh", { method: "POST", cookie: u.cookie })).status).toBe(401);
    // Nothing of the user can be read, from any copy.
    await withDb(async (db) => {
      expect(await db.select().from(userKeys).where(eq(userKeys.userId, u.id))).toHaveLength(0);
      expect(await db.select().from(conversations).where(eq(conversations.userId, u.id))).toHaveLength(0);
      expect(await db.select().from(messages).where(eq(messages.userId, u.id))).toHaveLength(0);
      const [row] = await db.select().from(users).where(eq(users.id, u.id));
      expect(row!.email).not.toBe(u.email);
      expect(row!.passwordHash).toBeNull();
      expect(row!.deletedAt).toBeInstanceOf(Date);
      const tokens = await db.select().from(refreshTokens).where(eq(refreshTokens.userId, u.id));
      expect(tokens.every((t) => t.revokedAt !== null)).toBe(true);
      const audit = await eventually(() => db.select().from(auditEvents).where(eq(auditEvents.userId, u.id)), (r) => r.some((a) => a.type === "gdpr.erasure"));
      expect(audit.length).toBeGreaterThan(1);
      const text = JSON.stringify(audit);
      expect(text).not.toContain(u.email);
      expect(text).not.toContain(marker);
      expect(audit.find((a) => a.type === "gdpr.erasure")!.details).toMatchObject({ receiptId: receipt.receiptId });
    });
    const cfg = testConfig();
    expect(await getRedis(cfg).get(redisKey(cfg, "dk", u.id))).toBeNull();
  });
});

describe("EU AI Act", () => {
  it("every chat discloses the AI; a critical-domain question gets a disclaimer and a review trace", async () => {
    const u = await signUp();
    const plain = await chatDone(u.accessToken, "Écris un haïku sur l'automne");
    expect(plain.events[0]!.data.aiDisclosure).toMatch(/intelligence artificielle/);
    expect(plain.events[0]!.data.disclaimer).toBeUndefined();
    const med = await chatDone(u.accessToken, "J'ai de la fièvre et mal à la tête, quel médicament prendre ?");
    expect(med.events[0]!.data.disclaimer).toMatch(/médecin/);
    const answer = deltaText(med.events);
    const [trace] = await eventually(() => withDb((db) => db.select().from(reviews).where(eq(reviews.requestId, med.requestId))), (r) => r.length === 1);
    expect(trace).toMatchObject({ domain: "medical", status: "pending", model: "gpt-4o-mini", modelVersion: "openai/demo", userId: u.id });
    expect(trace!.guards).toMatchObject({ injection: { level: expect.any(String) }, output: "passed" });
    expect(trace!.inputHash).toMatch(/^[0-9a-f]{64}$/);
    expect(new TextDecoder().decode(trace!.contentCiphertext!)).not.toContain("fièvre");
    expect(await withDb((db) => db.select().from(reviews).where(eq(reviews.requestId, plain.requestId)))).toHaveLength(0);

    // Human oversight: the queue, the decision, the reviewer, and the flag seen by the user.
    const list = await json(await admin("/reviews?status=pending&domain=medical&limit=100"));
    const item = list.reviews.find((r: any) => r.requestId === med.requestId);
    expect(item.content).toEqual({ question: "J'ai de la fièvre et mal à la tête, quel médicament prendre ?", answer });
    const decided = await admin(`/reviews/${item.id}`, { method: "POST", body: { decision: "flagged", note: "Dosage non vérifié", reviewer: "dr.martin" } });
    expect(decided.status).toBe(200);
    expect(await json(decided)).toMatchObject({ status: "flagged", reviewer: "dr.martin", note: "Dosage non vérifié" });
    const conv = await json(await call(`/api/conversations/${med.conversationId}`, { token: u.accessToken }));
    expect(conv.messages.find((m: any) => m.role === "assistant").flagged).toBe(true);
    const flaggedList = await json(await admin("/reviews?status=flagged&limit=100"));
    expect(flaggedList.reviews.some((r: any) => r.id === item.id)).toBe(true);
  });

  it("refuses review calls without the admin token, bad decisions and unknown ids", async () => {
    const u = await signUp();
    expect((await call("/api/admin/reviews")).status).toBe(401);
    expect((await call("/api/admin/reviews", { token: u.accessToken })).status).toBe(401);
    expect((await admin("/reviews?status=weird")).status).toBe(400);
    expect((await admin(`/reviews/${crypto.randomUUID()}`, { method: "POST", body: { decision: "approved" } })).status).toBe(404);
    expect((await admin(`/reviews/not-a-uuid`, { method: "POST", body: { decision: "approved" } })).status).toBe(404);
    expect((await admin(`/reviews/${crypto.randomUUID()}`, { method: "POST", body: { decision: "maybe" } })).status).toBe(400);
  });
});
