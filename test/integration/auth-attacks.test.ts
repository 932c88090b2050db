/**
 * Authentication attacks against the deployed shape (our HS256 access tokens, rotating
 * refresh cookies, the admin token), on EVERY authenticated route, plus cross-account
 * access: another user's ids must answer exactly like missing ids.
 *
 * The victim V has a conversation and known credentials; the attacker M has an account of
 * their own. Forged tokens name V (sub = V's id) and are sent with bodies that WOULD harm V
 * if accepted (erase with V's real password, consent withdrawal, rename, delete): after
 * the run V must be intact.
 */
import { env, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { and, eq, isNull, sql } from "drizzle-orm";
import { GOOD_PASSWORD, admin, adminToken, call, json, refreshCookieFrom, signUp, type TestUser } from "../support/api";
import { testConfig, withDb } from "../support/db";
import { b64url, hs256, nowSec, unsigned } from "../support/jwt";
import { auditEvents, consents, conversations, messages, refreshTokens, reviews, usage, users } from "../../db/schema";
import { loadUserDataKey } from "../../worker/accounts/data-keys";
import { appendMessage, createConversation } from "../../worker/conversations/store";
import { createApp } from "../../worker/app";

const config = () => testConfig();
const secret = () => config().JWT_SECRET;
const claims = (sub: string, over: Record<string, unknown> = {}) => ({
  sub, iss: config().JWT_ISSUER, aud: config().JWT_AUDIENCE, iat: nowSec(), exp: nowSec() + 600, jti: crypto.randomUUID(), ...over,
});
const enc = new TextEncoder();

type Victim = TestUser & { conv: string; secret: string };

async function withConversation(u: TestUser): Promise<Victim> {
  const secret = `secret message ${crypto.randomUUID()}`;
  const conv = await withDb(async (db) => {
    const dk = await loadUserDataKey(db, config(), u.id);
    const id = await createConversation(db, dk, u.id, "Secret title");
    await appendMessage(db, dk, { userId: u.id, conversationId: id, role: "user", content: secret });
    return id;
  });
  return { ...u, conv, secret };
}

/** Every route that takes an access token, with a body that would harm V if accepted. */
function authenticatedRoutes(v: Victim) {
  return [
    { method: "GET", path: "/api/me" },
    { method: "GET", path: "/api/me/consents" },
    { method: "POST", path: "/api/me/consents", body: { kind: "processing", granted: false } },
    { method: "GET", path: "/api/me/export" },
    { method: "DELETE", path: "/api/me", body: { password: GOOD_PASSWORD } },
    { method: "GET", path: "/api/conversations" },
    { method: "GET", path: `/api/conversations/${v.conv}` },
    { method: "PATCH", path: `/api/conversations/${v.conv}`, body: { title: "pwned" } },
    { method: "DELETE", path: `/api/conversations/${v.conv}` },
    { method: "POST", path: "/api/chat", body: { message: "Bonjour", conversationId: v.conv } },
    { method: "GET", path: "/v1/models" },
    { method: "POST", path: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Bonjour" }] } },
  ] as { method: string; path: string; body?: unknown }[];
}

/**
 * `call`, sent again (twice at most) when answered 503: a guard failing closed because Redis
 * or PostgreSQL was slow under the whole suite's load says nothing about the token.
 */
async function callSteady(path: string, opts: Parameters<typeof call>[1]): Promise<Response> {
  let res = await call(path, opts);
  for (const delay of [500, 2000]) {
    if (res.status !== 503) break;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, delay));
    res = await call(path, opts);
  }
  return res;
}

const withoutRequestId = (body: any) => ({ ...body, error: { ...body.error, requestId: "" } });

/** A 401 of the auth stage: the same body as without any token (no oracle on the reason). */
async function expectRefused(res: Response, label: string, reference: unknown) {
  const text = await res.text();
  expect(res.status, `${label}: ${text.slice(0, 200)}`).toBe(401);
  expect(res.headers.get("www-authenticate"), label).toMatch(/^Bearer /);
  const body = JSON.parse(text);
  expect(body.error.requestId, label).toBe(res.headers.get("x-request-id"));
  expect(withoutRequestId(body), label).toEqual(reference);
}

async function stateOf(v: Victim) {
  return withDb(async (db) => {
    const count = async (t: any, col: any) => Number((await db.select({ n: sql<number>`count(*)` }).from(t).where(eq(col, v.id)))[0]!.n);
    const [row] = await db.select().from(users).where(eq(users.id, v.id));
    return {
      user: row,
      conversations: await count(conversations, conversations.userId),
      messages: await count(messages, messages.userId),
      usage: await count(usage, usage.userId),
      consents: await count(consents, consents.userId),
      liveTokens: Number((await db.select({ n: sql<number>`count(*)` }).from(refreshTokens).where(and(eq(refreshTokens.userId, v.id), isNull(refreshTokens.revokedAt))))[0]!.n),
    };
  });
}

const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
const casings = (word: string): string[] => {
  const out: string[] = [];
  for (let mask = 0; mask < 1 << word.length; mask++) {
    out.push([...word].map((ch, i) => (mask & (1 << i) ? ch.toUpperCase() : ch.toLowerCase())).join(""));
  }
  return out;
};

async function rsaKeyPair() {
  return (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
}

async function rs256(header: Record<string, unknown>, payload: Record<string, unknown>, key: CryptoKey) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, enc.encode(input)));
  return `${input}.${b64url(sig)}`;
}

/** HMAC-SHA-256 with a raw key of any length (an empty key as "/dev/null" would give). */
async function hmacRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: Uint8Array) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  // WebCrypto refuses an empty HMAC key; HMAC pads keys with zeros, so one zero byte is the same key.
  const k = await crypto.subtle.importKey("raw", key.length ? key : new Uint8Array([0]), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `${input}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(input))))}`;
}

let V: Victim;
let M: Victim;
let noTokenBody: Record<string, unknown>;

beforeAll(async () => {
  [V, M] = await Promise.all([signUp().then(withConversation), signUp().then(withConversation)]);
  noTokenBody = withoutRequestId(await json(await call("/api/me")));
  expect(noTokenBody).toEqual({ error: { code: "unauthorized", message: expect.any(String), requestId: "" } });
}, 30_000);

describe("forged access tokens are refused on every authenticated route", () => {
  /** [label, token] pairs, all naming V. */
  async function forgeries(): Promise<[string, string][]> {
    const c = claims(V.id);
    const attackerSecret = "attacker-secret-0123456789abcdef0123456789";
    const attackerRsa = await rsaKeyPair();
    const attackerJwk = await crypto.subtle.exportKey("jwk", attackerRsa.publicKey);
    const [mh, mp, ms] = M.accessToken.split(".") as [string, string, string];
    const victimPayload = b64url(JSON.stringify(c));
    const list: [string, string][] = [];

    // alg none, in every casing, with and without a signature.
    for (const alg of casings("none")) list.push([`alg ${alg}`, unsigned({ alg, typ: "JWT" }, c)]);
    list.push(["alg none + HMAC signature of the real secret", `${b64url(JSON.stringify({ alg: "none" }))}.${victimPayload}.${(await hs256({ alg: "HS256" }, c, secret())).split(".")[2]}`]);
    list.push(["alg none, no third segment", `${b64url(JSON.stringify({ alg: "none" }))}.${victimPayload}`]);
    list.push(["alg missing", unsigned({ typ: "JWT" }, c)]);
    list.push(["alg null", await hs256({ alg: null }, c, secret())]);
    list.push(["alg ['HS256']", await hs256({ alg: ["HS256"] }, c, secret())]);

    // Algorithm confusion: other alg labels over an HMAC signature made with the real secret.
    for (const alg of ["RS256", "RS512", "ES256", "PS256", "EdDSA", "HS384", "HS512", "hs256", "HS256 ", " HS256", "HS256\u0000", "HS2560", ""]) {
      list.push([`alg ${JSON.stringify(alg)} signed with the HMAC secret`, await hs256({ alg, typ: "JWT" }, c, secret())]);
    }
    // HS256 signed with a key the attacker has.
    list.push(["HS256, attacker secret", await hs256({ alg: "HS256", typ: "JWT" }, c, attackerSecret)]);
    list.push(["HS256, empty-equivalent key", await hmacRaw({ alg: "HS256", typ: "JWT" }, c, new Uint8Array())]);
    list.push(["HS256, secret = issuer name", await hs256({ alg: "HS256" }, c, config().JWT_ISSUER)]);
    list.push(["HS256, secret = the admin token", await hs256({ alg: "HS256" }, c, adminToken())]);

    // Key injection through the header: jwk, jku, x5u, x5c, kid.
    list.push(["RS256 with an embedded attacker jwk", await rs256({ alg: "RS256", typ: "JWT", jwk: attackerJwk }, c, attackerRsa.privateKey)]);
    list.push(["RS256 with jku to an attacker JWKS", await rs256({ alg: "RS256", jku: "http://127.0.0.1:9/jwks.json", kid: "a" }, c, attackerRsa.privateKey)]);
    list.push(["RS256 with x5u", await rs256({ alg: "RS256", x5u: "http://127.0.0.1:9/cert.pem" }, c, attackerRsa.privateKey)]);
    list.push(["HS256 with an embedded oct jwk", await hs256({ alg: "HS256", jwk: { kty: "oct", k: b64url(attackerSecret) } }, c, attackerSecret)]);
    list.push(["HS256 with jku", await hs256({ alg: "HS256", jku: "http://127.0.0.1:9/jwks.json" }, c, attackerSecret)]);
    list.push(["HS256 with x5c", await hs256({ alg: "HS256", x5c: ["MIIB"] }, c, attackerSecret)]);
    for (const kid of ["../../dev/null", "/dev/null", "../../../../../../dev/null", "/proc/self/environ", "' OR '1'='1", "key1|/usr/bin/id", "\u0000"]) {
      list.push([`kid ${JSON.stringify(kid)}, empty key`, await hmacRaw({ alg: "HS256", typ: "JWT", kid }, c, new Uint8Array())]);
      list.push([`kid ${JSON.stringify(kid)}, attacker key`, await hs256({ alg: "HS256", typ: "JWT", kid }, c, attackerSecret)]);
    }
    list.push(["kid as a number", await hs256({ alg: "HS256", kid: 1 }, c, attackerSecret)]);
    list.push(["crit header", await hs256({ alg: "HS256", crit: ["exp"] }, c, attackerSecret)]);

    // Tampering with M's genuine token.
    list.push(["M's signature over a payload naming V", `${mh}.${victimPayload}.${ms}`]);
    const mClaims = JSON.parse(atob(mp.replace(/-/g, "+").replace(/_/g, "/")));
    list.push(["M's signature, sub changed to V", `${mh}.${b64url(JSON.stringify({ ...mClaims, sub: V.id }))}.${ms}`]);
    list.push(["M's signature, exp pushed out", `${mh}.${b64url(JSON.stringify({ ...mClaims, exp: nowSec() + 10 ** 8 }))}.${ms}`]);
    list.push(["M's signature, alg none header", `${b64url(JSON.stringify({ alg: "none" }))}.${mp}.${ms}`]);
    for (const i of [0, 10, 21, 30, ms.length - 2]) list.push([`M's token, signature char ${i} flipped`, `${mh}.${mp}.${flip(ms, i)}`]);
    list.push(["M's token, signature reversed", `${mh}.${mp}.${[...ms].reverse().join("")}`]);
    list.push(["M's token, signature of another token", `${mh}.${mp}.${V.accessToken.split(".")[2]}`]);
    // Truncations of M's token (never of V's: the truncated token must not be V's either).
    for (const cut of [1, 2, 5, ms.length, ms.length + 1]) list.push([`M's token minus ${cut} chars`, M.accessToken.slice(0, -cut)]);
    list.push(["M's token, header only", mh]);
    list.push(["M's token, two segments", `${mh}.${mp}`]);
    list.push(["M's token, four segments", `${M.accessToken}.${ms}`]);
    list.push(["M's token, padded", `${M.accessToken}==`]);
    list.push(["M's token twice", `${M.accessToken}${M.accessToken}`]);
    list.push(["payload not JSON", `${mh}.${b64url("not json")}.${ms}`]);
    list.push(["payload an array", await hs256({ alg: "HS256" }, [] as unknown as Record<string, unknown>, attackerSecret)]);
    list.push(["too long (8,193 chars)", `${M.accessToken}${"A".repeat(8193 - M.accessToken.length)}`]);

    // Claims that are wrong, under the REAL secret (a server mistake must still be caught).
    const real = (over: Record<string, unknown>) => hs256({ alg: "HS256", typ: "JWT" }, claims(V.id, over), secret());
    list.push(["expired (beyond the 30 s skew)", await real({ iat: nowSec() - 2000, exp: nowSec() - 60 })]);
    list.push(["not yet valid (nbf in an hour)", await real({ nbf: nowSec() + 3600 })]);
    list.push(["issued in the future", await real({ iat: nowSec() + 3600, exp: nowSec() + 7200 })]);
    list.push(["exp as a string", await real({ exp: String(nowSec() + 600) })]);
    list.push(["exp missing", await hs256({ alg: "HS256" }, { sub: V.id, iss: config().JWT_ISSUER, aud: config().JWT_AUDIENCE }, secret())]);
    list.push(["wrong issuer", await real({ iss: "https://evil.test" })]);
    list.push(["wrong audience", await real({ aud: "other-api" })]);
    list.push(["audience array without ours", await real({ aud: ["a", "b"] })]);
    list.push(["empty audience array", await real({ aud: [] })]);
    list.push(["sub not a user id", await real({ sub: "../../admin" })]);
    list.push(["sub of no user", await real({ sub: crypto.randomUUID() })]);
    list.push(["sub as an array", await real({ sub: [V.id] })]);
    return list;
  }

  it("alg none, confusion, key injection, tampering, truncation, bad claims: 401 everywhere, V untouched", async () => {
    const before = await stateOf(V);
    const list = await forgeries();
    expect(list.length).toBeGreaterThan(80);
    const routes = authenticatedRoutes(V);
    const probes = list.flatMap(([label, token]) => routes.map((r) => ({ label: `${label} → ${r.method} ${r.path}`, token, r })));
    for (let i = 0; i < probes.length; i += 16) {
      await Promise.all(probes.slice(i, i + 16).map(async ({ label, token, r }) => {
        const res = await callSteady(r.path, { method: r.method, body: r.body, headers: { authorization: `Bearer ${token}` } });
        await expectRefused(res, label, noTokenBody);
      }));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(await stateOf(V)).toEqual(before);
    // Control: the genuine tokens do pass the same stage on the same routes.
    for (const r of routes.filter((r) => r.method === "GET")) {
      const res = await call(r.path, { token: V.accessToken });
      expect(res.status, `${r.method} ${r.path} with V's own token`).toBe(200);
      await res.body?.cancel();
    }
    console.info(`auth attacks: ${list.length} forged tokens x ${routes.length} routes = ${probes.length} requests`);
  }, 90_000);

  it("tokens outside the Authorization header, or in another scheme, are not read", async () => {
    for (const [label, init] of [
      ["query access_token", { path: `/api/me?access_token=${V.accessToken}` }],
      ["cookie", { path: "/api/me", cookie: `access_token=${V.accessToken}; Authorization=Bearer%20${V.accessToken}` }],
      ["lower-case scheme", { path: "/api/me", headers: { authorization: `bearer ${V.accessToken}` } }],
      ["no scheme", { path: "/api/me", headers: { authorization: V.accessToken } }],
      ["Basic scheme", { path: "/api/me", headers: { authorization: `Basic ${btoa(`${V.email}:${GOOD_PASSWORD}`)}` } }],
      ["two tokens", { path: "/api/me", headers: { authorization: `Bearer ${M.accessToken}, Bearer ${V.accessToken}` } }],
      ["X-Access-Token header", { path: "/api/me", headers: { "x-access-token": V.accessToken } }],
    ] as const) {
      const { path, ...opts } = init as { path: string; cookie?: string; headers?: Record<string, string> };
      await expectRefused(await call(path, opts), label, noTokenBody);
    }
  });

  it("a refresh token is not an access token, and an access token is not a refresh token", async () => {
    const refresh = V.cookie.split("=")[1]!;
    await expectRefused(await call("/api/me", { token: refresh }), "refresh token as bearer", noTokenBody);
    const res = await call("/api/auth/refresh", { method: "POST", cookie: `ua_refresh=${V.accessToken}` });
    expect(res.status).toBe(401);
    expect((await json(res)).error.code).toBe("unauthorized");
  });

  it("the token of a deleted (erased) user is refused", async () => {
    const u = await signUp();
    expect((await call("/api/me", { token: u.accessToken })).status).toBe(200);
    const erased = await call("/api/me", { method: "DELETE", token: u.accessToken, body: { password: GOOD_PASSWORD } });
    expect(erased.status).toBe(200);
    for (const r of authenticatedRoutes({ ...u, conv: crypto.randomUUID(), secret: "" })) {
      await expectRefused(await callSteady(r.path, { method: r.method, body: r.body, token: u.accessToken }), `erased → ${r.method} ${r.path}`, noTokenBody);
    }
    // And its refresh token is dead too.
    expect((await call("/api/auth/refresh", { method: "POST", cookie: u.cookie })).status).toBe(401);
  });
});

describe("refresh tokens", () => {
  it("a replayed refresh token (after rotation) is refused and revokes the family: the newer token too", async () => {
    const u = await signUp();
    const r1 = await call("/api/auth/refresh", { method: "POST", cookie: u.cookie });
    expect(r1.status).toBe(200);
    const c1 = refreshCookieFrom(r1)!;
    const r2 = await call("/api/auth/refresh", { method: "POST", cookie: c1 });
    expect(r2.status).toBe(200);
    const c2 = refreshCookieFrom(r2)!;

    const replay = await call("/api/auth/refresh", { method: "POST", cookie: u.cookie });
    expect(replay.status).toBe(401);
    const body = await json(replay);
    expect(body.error.code).toBe("unauthorized");
    // The cookie is cleared on refusal.
    expect(replay.headers.getSetCookie().some((l) => /^ua_refresh=;/.test(l) || /ua_refresh=.*Max-Age=0/i.test(l))).toBe(true);
    // Every member of the family is dead, the newest included, and the reuse is audited.
    for (const cookie of [c1, c2]) expect((await call("/api/auth/refresh", { method: "POST", cookie })).status).toBe(401);
    const rows = await withDb((db) => db.select().from(refreshTokens).where(eq(refreshTokens.userId, u.id)));
    expect(rows.length).toBe(3);
    expect(rows.every((r) => r.revokedAt !== null)).toBe(true);
    const events = await withDb((db) => db.select().from(auditEvents).where(and(eq(auditEvents.userId, u.id), eq(auditEvents.type, "auth.refresh_token_reuse"))));
    expect(events.length).toBeGreaterThanOrEqual(1);
    // A fresh sign-in opens a new, working family.
    const login = await call("/api/auth/login", { body: { email: u.email, password: GOOD_PASSWORD } });
    expect(login.status).toBe(200);
    expect((await call("/api/auth/refresh", { method: "POST", cookie: refreshCookieFrom(login)! })).status).toBe(200);
  });

  it("a refresh cookie of another user's family yields THAT user's session, never the caller's, and leaves the caller's family alone", async () => {
    const victim = await signUp();
    const attacker = await signUp();
    // The attacker, signed in (their access token), presents the victim's cookie they do not have...
    // ...and the victim, signed in, presents the attacker's cookie: the cookie alone decides.
    const res = await call("/api/auth/refresh", { method: "POST", cookie: attacker.cookie, token: victim.accessToken });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.user.id).toBe(attacker.id);
    const me = await json(await call("/api/me", { token: body.accessToken }));
    expect(me.id).toBe(attacker.id);
    // The victim's own family still rotates normally.
    expect((await call("/api/auth/refresh", { method: "POST", cookie: victim.cookie })).status).toBe(200);
    // The attacker's old cookie is now rotated: its replay kills the attacker's family, not the victim's.
    expect((await call("/api/auth/refresh", { method: "POST", cookie: attacker.cookie, token: victim.accessToken })).status).toBe(401);
    const rows = await withDb((db) => db.select().from(refreshTokens).where(eq(refreshTokens.userId, victim.id)));
    expect(rows.filter((r) => r.revokedAt !== null)).toEqual([]);
    expect(rows.filter((r) => r.rotatedAt === null)).toHaveLength(1);
  });

  it("unknown, oversized, and malformed refresh cookies are refused without touching any family", async () => {
    const u = await signUp();
    const token = u.cookie.split("=")[1]!;
    for (const cookie of [
      "ua_refresh=", `ua_refresh=${token.slice(0, -1)}`, `ua_refresh=${token}x`, `ua_refresh=${token.toUpperCase()}`,
      `ua_refresh=${"a".repeat(257)}`, `ua_refresh=${token}${"a".repeat(300)}`, `ua_refresh=%00${token}`, `ua_refresh=${encodeURIComponent(token + "\u0000")}`,
      `UA_REFRESH=${token}`, `ua_refresh_x=${token}`,
    ]) {
      const res = await call("/api/auth/refresh", { method: "POST", cookie });
      expect(res.status, cookie.slice(0, 60)).toBe(401);
    }
    expect((await call("/api/auth/refresh", { method: "POST", cookie: u.cookie })).status).toBe(200);
  });

  it("an expired refresh token is refused", async () => {
    const u = await signUp();
    await withDb((db) => db.update(refreshTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(refreshTokens.userId, u.id)));
    expect((await call("/api/auth/refresh", { method: "POST", cookie: u.cookie })).status).toBe(401);
  });

  it("after logout the refresh token is dead; the access token stays valid until it expires (stateless JWT, by design)", async () => {
    const u = await signUp();
    const out = await call("/api/auth/logout", { method: "POST", cookie: u.cookie, token: u.accessToken });
    expect(out.status).toBe(204);
    expect((await call("/api/auth/refresh", { method: "POST", cookie: u.cookie })).status).toBe(401);
    // Documented limitation: access tokens are not revocable; their lifetime bounds the exposure.
    const me = await call("/api/me", { token: u.accessToken });
    expect(me.status).toBe(200);
    const exp = JSON.parse(atob(u.accessToken.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).exp as number;
    expect(exp - nowSec()).toBeLessThanOrEqual(config().ACCESS_TOKEN_TTL_SECONDS);
    expect(config().ACCESS_TOKEN_TTL_SECONDS).toBeLessThanOrEqual(900);
    // A second logout with the same cookie is harmless.
    expect((await call("/api/auth/logout", { method: "POST", cookie: u.cookie })).status).toBe(204);
  });
});

describe("admin API, review queue, audit verification, metrics", () => {
  /** Every operator surface: [method, path, body, the reference answer without any token]. */
  const operatorRoutes = () => [
    ["GET", `/api/admin/users/${V.id}`], ["PATCH", `/api/admin/users/${V.id}`, { tier: "enterprise" }],
    ["GET", `/api/admin/users/${crypto.randomUUID()}`], ["GET", "/api/admin/users/not-a-uuid"],
    ["GET", "/api/admin/reviews?limit=100"], ["POST", `/api/admin/reviews/${crypto.randomUUID()}`, { decision: "approved" }],
    ["GET", "/api/admin/audit/verify?chain=1"], ["GET", "/metrics"],
  ] as [string, string, unknown?][];

  it("a user's access token, forged admin claims, near-miss admin tokens, or the other operator token: refused like no token", async () => {
    const forgedAdmin = await hs256({ alg: "HS256" }, claims(V.id, { role: "admin", admin: true, scope: "admin" }), "attacker-secret-0123456789abcdef0123456789");
    const t = adminToken();
    const m = config().METRICS_TOKEN;
    const tokens = [
      // (Trailing whitespace is not a near miss: header values are trimmed by the HTTP layer.)
      V.accessToken, M.accessToken, forgedAdmin, ` ${t}`, `${t}x`, t.slice(0, -1), t.toUpperCase(), `x${t}`, "", t.slice(0, 16), t + t,
      `${m}x`, m.slice(0, -1), m.toUpperCase(),
    ];
    for (const [method, path, body] of operatorRoutes()) {
      const reference = withoutRequestId(await json(await call(path, { method, body })));
      expect(reference.error.code, path).toBe("unauthorized");
      // The admin token does not open /metrics, nor the metrics token the admin API.
      const others = path === "/metrics" ? [...tokens, t] : [...tokens, m];
      for (const token of others) {
        const res = await callSteady(path, { method, body, headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        expect(res.status, `${method} ${path} with ${token.slice(0, 12)}…`).toBe(401);
        expect(res.headers.get("www-authenticate"), path).toMatch(/^Bearer realm=/);
        expect(withoutRequestId(JSON.parse(text)), path).toEqual(reference);
      }
    }
    const row = await admin(`/users/${V.id}`);
    expect((await json(row)).tier).toBe("free");
  });

  it("with a user token, a review of that very user and a missing review are the same 401", async () => {
    const [review] = await withDb((db) => db.insert(reviews).values({
      userId: M.id, conversationId: M.conv, requestId: `attack-${crypto.randomUUID()}`, domain: "legal", model: "gpt-4o-mini", modelVersion: "openai/demo",
      guards: {}, inputHash: "0".repeat(64), outputHash: "0".repeat(64),
    }).returning());
    const a = await call(`/api/admin/reviews/${review!.id}`, { method: "POST", token: M.accessToken, body: { decision: "approved", reviewer: "me" } });
    const b = await call(`/api/admin/reviews/${crypto.randomUUID()}`, { method: "POST", token: M.accessToken, body: { decision: "approved", reviewer: "me" } });
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(withoutRequestId(await json(a))).toEqual(withoutRequestId(await json(b)));
    const [after] = await withDb((db) => db.select().from(reviews).where(eq(reviews.id, review!.id)));
    expect(after!.status).toBe("pending");
    expect(after!.reviewer).toBeNull();
  });
});

describe("another user's ids answer exactly like missing ids", () => {
  /** The two responses must be the same status and the same body, requestId aside. */
  async function same(a: Response, b: Response, label: string, status: number) {
    const [ta, tb] = [await a.text(), await b.text()];
    expect(a.status, `${label}: ${ta.slice(0, 200)}`).toBe(status);
    expect(b.status, `${label} (missing): ${tb.slice(0, 200)}`).toBe(status);
    expect(withoutRequestId(JSON.parse(ta)), label).toEqual(withoutRequestId(JSON.parse(tb)));
    expect(a.headers.get("content-type"), label).toBe(b.headers.get("content-type"));
    expect(a.headers.get("www-authenticate"), label).toBe(b.headers.get("www-authenticate"));
  }

  it("GET/PATCH/DELETE /api/conversations/:id, POST /api/chat, in every id spelling", async () => {
    const before = await stateOf(V);
    const missing = crypto.randomUUID();
    const spellings: [string, string][] = [[V.conv, missing], [V.conv.toUpperCase(), missing.toUpperCase()]];
    for (const [theirs, none] of spellings) {
      for (const [method, body] of [["GET", undefined], ["PATCH", { title: "pwned" }], ["DELETE", undefined]] as const) {
        await same(
          await call(`/api/conversations/${theirs}`, { method, body, token: M.accessToken }),
          await call(`/api/conversations/${none}`, { method, body, token: M.accessToken }),
          `${method} conversation ${theirs}`, 404,
        );
      }
    }
    // The chat: V's conversation as history is "not found", before the model is called.
    await same(
      await call("/api/chat", { token: M.accessToken, body: { message: "Résume la conversation", conversationId: V.conv } }),
      await call("/api/chat", { token: M.accessToken, body: { message: "Résume la conversation", conversationId: missing } }),
      "POST /api/chat with V's conversationId", 404,
    );
    // Another user's id of another kind (a user id, M's own conversation id seen by V) changes nothing.
    await same(
      await call(`/api/conversations/${V.id}`, { token: M.accessToken }),
      await call(`/api/conversations/${missing}`, { token: M.accessToken }),
      "a user id as a conversation id", 404,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(await stateOf(V)).toEqual(before);
    const own = await json(await call(`/api/conversations/${V.conv}`, { token: V.accessToken }));
    expect(own.title).toBe("Secret title");
    expect(own.messages.map((m: { content: string }) => m.content)).toEqual([V.secret]);
  });

  it("the list, its cursor, and the export show only the caller's own data", async () => {
    const list = await json(await call("/api/conversations?limit=100", { token: M.accessToken }));
    expect(list.conversations.map((c: { id: string }) => c.id)).toEqual([M.conv]);
    // A cursor built from V's conversation only moves M's own window.
    const cursor = encodeURIComponent(btoa(`${new Date(Date.now() + 60_000).toISOString()}|${V.conv}`));
    const paged = await json(await call(`/api/conversations?limit=100&cursor=${cursor}`, { token: M.accessToken }));
    expect(paged.conversations.map((c: { id: string }) => c.id)).toEqual([M.conv]);
    const exported = await call("/api/me/export", { token: M.accessToken });
    expect(exported.status).toBe(200);
    const text = await exported.text();
    expect(text).not.toContain(V.conv);
    expect(text).not.toContain(V.id);
    expect(text).not.toContain(V.email);
    expect(text).not.toContain(V.secret);
    expect(text).toContain(M.secret);
  });

  it("the admin user routes with a user token: 401 for an existing and a missing user alike", async () => {
    for (const method of ["GET", "PATCH"]) {
      const body = method === "PATCH" ? { tier: "enterprise" } : undefined;
      await same(
        await call(`/api/admin/users/${V.id}`, { method, body, token: M.accessToken }),
        await call(`/api/admin/users/${crypto.randomUUID()}`, { method, body, token: M.accessToken }),
        `${method} /api/admin/users/:id as a user`, 401,
      );
    }
  });

  it("as admin, an erased user answers like a missing one", async () => {
    const u = await signUp();
    expect((await call("/api/me", { method: "DELETE", token: u.accessToken, body: { password: GOOD_PASSWORD } })).status).toBe(200);
    for (const method of ["GET", "PATCH"]) {
      const body = method === "PATCH" ? { tier: "basic" } : undefined;
      await same(await admin(`/users/${u.id}`, { method, body }), await admin(`/users/${crypto.randomUUID()}`, { method, body }), `admin ${method} erased user`, 404);
    }
  });
});

describe("with an external IdP enabled (JWKS)", () => {
  const ISSUER = "https://idp.test";
  let extEnv: Record<string, unknown> | undefined;
  const externalEnv = () =>
    (extEnv ??= { ...(env as unknown as Record<string, unknown>), AUTH_JWKS_URL: `${inject("idpUrl")}/.well-known/jwks.json`, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: "unialist-ext" });
  const app = createApp();
  async function me(token: string) {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request("https://gw.test/api/me", { headers: { authorization: `Bearer ${token}` } }), externalEnv(), ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }
  async function idpSign(claims: Record<string, unknown>, header?: Record<string, unknown>) {
    const res = await fetch(`${inject("idpUrl")}/sign`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ alg: "RS256", claims, header }) });
    return ((await res.json()) as { token: string }).token;
  }

  it("a genuine IdP token whose sub is a LOCAL user's id is never that local user", async () => {
    const token = await idpSign({ sub: V.id, iss: ISSUER, aud: "unialist-ext", iat: nowSec(), exp: nowSec() + 600, email: V.email });
    const res = await me(token);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.id).not.toBe(V.id);
    expect(body.email).not.toBe(V.email);
  });

  it("our HMAC secret under an RS256 header, and kid path traversal on the JWKS path, are refused", async () => {
    for (const token of [
      await hs256({ alg: "RS256", typ: "JWT", kid: "idp-rsa-1" }, { sub: "x", iss: ISSUER, aud: "unialist-ext", exp: nowSec() + 600 }, secret()),
      await idpSign({ sub: "x", iss: ISSUER, aud: "unialist-ext", exp: nowSec() + 600 }, { kid: "../../dev/null" }),
      await idpSign({ sub: "x", iss: ISSUER, aud: "unialist-ext", exp: nowSec() + 600 }, { kid: "idp-rsa-1/../idp-rsa-1" }),
    ]) {
      const res = await me(token);
      expect(res.status).toBe(401);
    }
  });
});
