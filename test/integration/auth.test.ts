import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { GOOD_PASSWORD, admin, call, json, refreshCookieFrom, signUp, uniqueEmail } from "../support/api";
import { hs256, nowSec, unsigned } from "../support/jwt";
import { loadConfig } from "../../worker/env";
import { openDb } from "../../worker/lib/db";
import { auditEvents, consents, refreshTokens, users } from "../../db/schema";
import { eq } from "drizzle-orm";

const config = () => loadConfig(env);
const secret = () => config().JWT_SECRET;
const register = (body: unknown) => call("/api/auth/register", { body });
const validClaims = (sub: string) => ({ sub, iat: nowSec(), exp: nowSec() + 600, iss: config().JWT_ISSUER, aud: config().JWT_AUDIENCE, jti: crypto.randomUUID() });

async function withDb<T>(fn: (db: ReturnType<typeof openDb>["db"]) => Promise<T>): Promise<T> {
  const h = openDb(config());
  try {
    return await fn(h.db);
  } finally {
    await h.end();
  }
}

describe("POST /api/auth/register", () => {
  it("creates the account, returns tokens and a strict refresh cookie, records consent", async () => {
    const email = uniqueEmail("Reg");
    const res = await register({ email: `  ${email.toUpperCase()} `, password: GOOD_PASSWORD, consent: { terms: true, version: "2026-11" } });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.user).toEqual({ id: expect.any(String), email: email.toLowerCase(), tier: "free" });
    expect(body.expiresIn).toBe(900);
    expect(body.accessToken.split(".")).toHaveLength(3);
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith("ua_refresh="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/api\/auth/);
    const rows = await withDb((db) => db.select().from(consents).where(eq(consents.userId, body.user.id)));
    expect(rows.map((r) => r.kind).sort()).toEqual(["processing", "terms"]);
    expect(rows[0]!.version).toBe("2026-11");
    expect(rows[0]!.createdAt).toBeInstanceOf(Date);
    const stored = await withDb((db) => db.select().from(refreshTokens).where(eq(refreshTokens.userId, body.user.id)));
    const token = cookie.split(";")[0]!.split("=")[1]!;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.tokenHash).not.toContain(token);
  });

  it.each([
    ["too short", "Short-pw-1"],
    ["the email itself", "EMAIL"],
    ["a common password", "password1234"],
    ["a common French password", "azerty123456"],
  ])("refuses a password that is %s", async (_label, pw) => {
    const email = uniqueEmail("pw");
    const res = await register({ email, password: pw === "EMAIL" ? email : pw, consent: { terms: true, version: "v1" } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe("invalid_input");
  });

  it.each([
    ["no consent", { password: GOOD_PASSWORD }],
    ["terms false", { password: GOOD_PASSWORD, consent: { terms: false, version: "v1" } }],
    ["unknown field", { password: GOOD_PASSWORD, consent: { terms: true, version: "v1" }, admin: true }],
    ["wrong type", { password: 12345678901234, consent: { terms: true, version: "v1" } }],
    ["bad email", { email: "not-an-email", password: GOOD_PASSWORD, consent: { terms: true, version: "v1" } }],
  ])("refuses %s with 400", async (_label, partial) => {
    const res = await register({ email: uniqueEmail(), ...partial });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("refuses invalid JSON (400) and a non-JSON body (415)", async () => {
    const bad = await call("/api/auth/register", { rawBody: "{not json", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    const text = await call("/api/auth/register", { rawBody: "email=x", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
  });

  it("refuses an existing email with 409, whatever its case", async () => {
    const u = await signUp();
    const res = await register({ email: u.email.toUpperCase(), password: GOOD_PASSWORD, consent: { terms: true, version: "v1" } });
    expect(res.status).toBe(409);
    expect((await json(res)).error.code).toBe("conflict");
  });
});

describe("POST /api/auth/login", () => {
  it("signs in with the right password", async () => {
    const u = await signUp();
    const res = await call("/api/auth/login", { body: { email: u.email, password: GOOD_PASSWORD } });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.user.id).toBe(u.id);
    expect(refreshCookieFrom(res)).toBeTruthy();
  });

  it("answers unknown email and wrong password with the same 401 body", async () => {
    const u = await signUp();
    const wrong = await call("/api/auth/login", { body: { email: u.email, password: "Wrong-Password-123" } });
    const unknown = await call("/api/auth/login", { body: { email: uniqueEmail("nobody"), password: "Wrong-Password-123" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = (await json(wrong)).error;
    const b = (await json(unknown)).error;
    expect({ ...a, requestId: "" }).toEqual({ ...b, requestId: "" });
  });

  it("refuses a malformed body", async () => {
    expect((await call("/api/auth/login", { body: { email: "x@y.z" } })).status).toBe(400);
  });
});

describe("refresh and logout", () => {
  it("rotates the refresh token on every use", async () => {
    const u = await signUp();
    const r1 = await call("/api/auth/refresh", { method: "POST", cookie: u.cookie });
    expect(r1.status).toBe(200);
    const c1 = refreshCookieFrom(r1)!;
    expect(c1).not.toBe(u.cookie);
    const me = await call("/api/me", { token: (await json(r1)).accessToken });
    expect(me.status).toBe(200);
  });

  it("revokes the whole family when a rotated token is presented again, and audits it", async () => {
    const u = await signUp();
    const r1 = await call("/api/auth/refresh", { method: "POST", cookie: u.cookie });
    const c1 = refreshCookieFrom(r1)!;
    const replay = await call("/api/auth/refresh", { method: "POST", cookie: u.cookie });
    expect(replay.status).toBe(401);
    expect((await call("/api/auth/refresh", { method: "POST", cookie: c1 })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    const events = await withDb((db) => db.select().from(auditEvents).where(eq(auditEvents.userId, u.id)));
    expect(events.some((e) => e.type === "auth.refresh_token_reuse" && e.severity === "high")).toBe(true);
  });

  it("refuses a missing or unknown refresh cookie", async () => {
    expect((await call("/api/auth/refresh", { method: "POST" })).status).toBe(401);
    expect((await call("/api/auth/refresh", { method: "POST", cookie: "ua_refresh=nope" })).status).toBe(401);
  });

  it("logout revokes the family", async () => {
    const u = await signUp();
    const out = await call("/api/auth/logout", { method: "POST", cookie: u.cookie });
    expect(out.status).toBe(204);
    expect((await call("/api/auth/refresh", { method: "POST", cookie: u.cookie })).status).toBe(401);
  });
});

describe("access token checks", () => {
  it("answers 401 with WWW-Authenticate: Bearer without a token", async () => {
    const res = await call("/api/me");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await json(res)).error.code).toBe("unauthorized");
  });

  it("accepts a valid token", async () => {
    const u = await signUp();
    const res = await call("/api/me", { token: u.accessToken });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      id: u.id, email: u.email, tier: "free", subscriptionActive: true,
      limits: { requestsPerHour: 10, budgetEur: 1 },
      usage: { requestsThisHour: 0, costThisMonthEur: 0 },
      budget: { month: expect.stringMatching(/^\d{4}-\d{2}$/), usedRatio: 0, warning: false, blocked: false },
    });
  });

  const attacks: [string, (sub: string) => Promise<string>][] = [
    ["alg none", async (sub) => unsigned({ alg: "none", typ: "JWT" }, validClaims(sub))],
    ["alg None", async (sub) => unsigned({ alg: "None", typ: "JWT" }, validClaims(sub))],
    ["HS/RS confusion (RS256 header, HMAC signature)", async (sub) => hs256({ alg: "RS256", typ: "JWT" }, validClaims(sub), secret())],
    ["wrong issuer", async (sub) => hs256({ alg: "HS256" }, { ...validClaims(sub), iss: "evil" }, secret())],
    ["wrong audience", async (sub) => hs256({ alg: "HS256" }, { ...validClaims(sub), aud: "other-api" }, secret())],
    ["expired", async (sub) => hs256({ alg: "HS256" }, { ...validClaims(sub), iat: nowSec() - 2000, exp: nowSec() - 120 }, secret())],
    ["bad signature", async (sub) => hs256({ alg: "HS256" }, validClaims(sub), "another-secret-that-is-long-enough-000000")],
    ["garbage", async () => "not.a.jwt"],
  ];
  it.each(attacks)("refuses %s", async (_label, forge) => {
    const u = await signUp();
    const res = await call("/api/me", { token: await forge(u.id) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("allows a small clock skew", async () => {
    const u = await signUp();
    const token = await hs256({ alg: "HS256", typ: "JWT" }, { ...validClaims(u.id), exp: nowSec() - 5 }, secret());
    expect((await call("/api/me", { token })).status).toBe(200);
  });

  it("refuses a token of a deleted user", async () => {
    const u = await signUp();
    await withDb((db) => db.update(users).set({ deletedAt: new Date() }).where(eq(users.id, u.id)));
    expect((await call("/api/me", { token: u.accessToken })).status).toBe(401);
  });
});

describe("admin API", () => {
  it("refuses without or with a wrong admin token", async () => {
    const u = await signUp();
    expect((await call(`/api/admin/users/${u.id}`)).status).toBe(401);
    expect((await call(`/api/admin/users/${u.id}`, { token: "x".repeat(40) })).status).toBe(401);
    expect((await call(`/api/admin/users/${u.id}`, { token: u.accessToken })).status).toBe(401);
  });

  it("reads and changes tier and subscription", async () => {
    const u = await signUp();
    const get = await admin(`/users/${u.id}`);
    expect(get.status).toBe(200);
    expect((await json(get)).tier).toBe("free");
    const patch = await admin(`/users/${u.id}`, { method: "PATCH", body: { tier: "premium", subscriptionActive: false } });
    expect(patch.status).toBe(200);
    const me = await json(await call("/api/me", { token: u.accessToken }));
    expect(me.tier).toBe("premium");
    expect(me.subscriptionActive).toBe(false);
    expect(me.limits).toEqual({ requestsPerHour: 1000, budgetEur: 100 });
  });

  it("refuses bad patches and unknown users", async () => {
    const u = await signUp();
    expect((await admin(`/users/${u.id}`, { method: "PATCH", body: { tier: "gold" } })).status).toBe(400);
    expect((await admin(`/users/${u.id}`, { method: "PATCH", body: {} })).status).toBe(400);
    expect((await admin(`/users/${u.id}`, { method: "PATCH", body: { tier: "basic", role: "admin" } })).status).toBe(400);
    expect((await admin(`/users/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await admin(`/users/not-a-uuid`)).status).toBe(404);
  });
});
