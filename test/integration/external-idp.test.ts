/**
 * Tokens of an external identity provider (RS256 / ES256 through its JWKS), against the
 * local IdP of test/support/idp.ts. The app is called with an env that enables the IdP;
 * loadConfig caches per env object, so that object is built once for the whole file.
 */
import { env, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { eq } from "drizzle-orm";
import { signUp } from "../support/api";
import { withDb } from "../support/db";
import { b64url, hs256, nowSec, unsigned } from "../support/jwt";
import { users } from "../../db/schema";
import { createApp } from "../../worker/app";

const ISSUER = "https://idp.test";
const AUDIENCE = "unialist-ext";
const idpUrl = () => inject("idpUrl");

let extEnv: Record<string, unknown> | undefined;
/** The override env, one object for the file (config and JWKS caches are per object). */
const externalEnv = () =>
  (extEnv ??= { ...(env as unknown as Record<string, unknown>), AUTH_JWKS_URL: `${idpUrl()}/.well-known/jwks.json`, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE });
const app = createApp();

async function me(token: string): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request("https://gw.test/api/me", { headers: { authorization: `Bearer ${token}` } }), externalEnv(), ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function idpSign(path: string, body: unknown): Promise<string> {
  const res = await fetch(`${idpUrl()}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`idp ${path}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
const sign = (alg: "RS256" | "ES256", claims: Record<string, unknown>, header?: Record<string, unknown>) => idpSign("/sign", { alg, claims, header });

const newSub = () => `ext-${crypto.randomUUID()}`;
const claimsFor = (sub = newSub(), extra: Record<string, unknown> = {}) => ({
  sub,
  iss: ISSUER,
  aud: AUDIENCE,
  iat: nowSec(),
  exp: nowSec() + 600,
  ...extra,
});

const userBySubject = (sub: string) =>
  withDb((db) => db.select().from(users).where(eq(users.externalSubject, `${ISSUER}|${sub}`)));

async function expect401(res: Response) {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  const body = (await res.json()) as { error: { code: string } };
  expect(body.error.code).toBe("unauthorized");
}

describe("external IdP tokens: accepted", () => {
  it.each(["RS256", "ES256"] as const)("%s with the right iss and aud: 200, the user is provisioned once", async (alg) => {
    const sub = newSub();
    const email = `${sub}@Corp.Example`;
    const token = await sign(alg, claimsFor(sub, { email }));
    const first = await me(token);
    expect(first.status).toBe(200);
    const a = (await first.json()) as { id: string; email: string; tier: string };
    expect(a).toMatchObject({ id: expect.any(String), email: email.toLowerCase(), tier: "free" });

    const rows = await userBySubject(sub);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(a.id);
    expect(rows[0]!.passwordHash).toBeNull();

    // A second token (new iat/jti) for the same subject: the same user, no new row.
    const again = await me(await sign(alg, claimsFor(sub, { email, jti: crypto.randomUUID() })));
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(a.id);
    expect(await userBySubject(sub)).toHaveLength(1);
  });

  it("the same subject from both keys is the same user; an array audience containing ours is accepted", async () => {
    const sub = newSub();
    const r1 = await me(await sign("RS256", claimsFor(sub)));
    expect(r1.status).toBe(200);
    const r2 = await me(await sign("ES256", claimsFor(sub, { aud: ["other-api", AUDIENCE] })));
    expect(r2.status).toBe(200);
    expect(((await r2.json()) as { id: string }).id).toBe(((await r1.json()) as { id: string }).id);
  });

  it("provisions without an email claim (opaque placeholder address)", async () => {
    const res = await me(await sign("RS256", claimsFor()));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { email: string }).email).toMatch(/@external\.invalid$/);
  });

  it("concurrent first sign-ins of one subject all succeed with one user", async () => {
    const sub = newSub();
    const tokens = await Promise.all([0, 1, 2, 3].map(() => sign("ES256", claimsFor(sub, { jti: crypto.randomUUID() }))));
    const responses = await Promise.all(tokens.map(me));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id)));
    expect(ids.size).toBe(1);
    expect(await userBySubject(sub)).toHaveLength(1);
  });

  it("an IdP email already used by a local account is neither linked to it nor a lock-out", async () => {
    const local = await signUp();
    const sub = newSub();
    const res = await me(await sign("RS256", claimsFor(sub, { email: local.email })));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; email: string };
    expect(body.id).not.toBe(local.id); // never an account takeover through the email claim
    expect(body.email).not.toBe(local.email);
    const [row] = await userBySubject(sub);
    expect(row!.id).toBe(body.id);
  });

  it("our own HS256 tokens (JWT_SECRET) stay valid when the IdP is enabled", async () => {
    const u = await signUp();
    const res = await me(u.accessToken);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { id: string }).id).toBe(u.id);
  });
});

describe("external IdP tokens: refused with 401", () => {
  it("wrong issuer", async () => {
    await expect401(await me(await sign("RS256", claimsFor(newSub(), { iss: "https://evil.test" }))));
    await expect401(await me(await sign("ES256", claimsFor(newSub(), { iss: "unialist" })))); // our own issuer name
  });

  it("wrong audience", async () => {
    await expect401(await me(await sign("RS256", claimsFor(newSub(), { aud: "someone-else" }))));
    await expect401(await me(await sign("ES256", claimsFor(newSub(), { aud: ["a", "b"] }))));
    await expect401(await me(await sign("RS256", claimsFor(newSub(), { aud: "unialist-api" })))); // our own audience
  });

  it("expired, not yet valid, or without exp", async () => {
    await expect401(await me(await sign("RS256", claimsFor(newSub(), { iat: nowSec() - 7200, exp: nowSec() - 3600 }))));
    await expect401(await me(await sign("ES256", claimsFor(newSub(), { exp: nowSec() - 120 }))));
    await expect401(await me(await sign("RS256", claimsFor(newSub(), { nbf: nowSec() + 3600 }))));
    const { exp: _exp, ...noExp } = claimsFor();
    await expect401(await me(await sign("RS256", noExp)));
  });

  it("unknown kid, a kid of the other key type, or a forged signature", async () => {
    await expect401(await me(await sign("RS256", claimsFor(), { kid: "no-such-key" })));
    await expect401(await me(await sign("ES256", claimsFor(), { kid: "no-such-key" })));
    // RS256 header naming the EC key (and the reverse): no usable key.
    await expect401(await me(await sign("RS256", claimsFor(), { kid: "idp-ec-1" })));
    await expect401(await me(await sign("ES256", claimsFor(), { kid: "idp-rsa-1" })));
    // Header says ES256, signature is RSA.
    await expect401(await me(await sign("RS256", claimsFor(), { alg: "ES256", kid: "idp-ec-1" })));
    // Claims swapped after signing.
    const good = await sign("RS256", claimsFor());
    const [h, , s] = good.split(".");
    await expect401(await me(`${h}.${b64url(JSON.stringify(claimsFor()))}.${s}`));
  });

  it("alg none, in any spelling, with or without a kid", async () => {
    for (const alg of ["none", "None", "NONE"]) {
      await expect401(await me(unsigned({ alg, typ: "JWT" }, claimsFor())));
      await expect401(await me(unsigned({ alg, kid: "idp-rsa-1" }, claimsFor())));
    }
    // A valid RS256 token with its signature stripped.
    const good = await sign("RS256", claimsFor());
    await expect401(await me(`${good.split(".").slice(0, 2).join(".")}.`));
  });

  it.each(["pem", "jwk"] as const)("HS256 signed with the IdP's RSA public key (%s) as HMAC secret: key confusion", async (secret) => {
    const token = await idpSign("/sign-hs256-with-public-key", { claims: claimsFor(), secret });
    expect(JSON.parse(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")))).toMatchObject({ alg: "HS256" });
    await expect401(await me(token));
  });

  it("key confusion aimed at a local user (sub = their id, our iss/aud) is refused too", async () => {
    const u = await signUp();
    const token = await idpSign("/sign-hs256-with-public-key", {
      claims: { sub: u.id, iss: "unialist", aud: "unialist-api", iat: nowSec(), exp: nowSec() + 600 },
      secret: "pem",
    });
    await expect401(await me(token));
  });

  it("a key embedded in the header (jwk / jku) is ignored", async () => {
    const attacker = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", attacker.publicKey)) as JsonWebKey;
    for (const header of [
      { alg: "RS256", typ: "JWT", kid: "attacker", jwk },
      { alg: "RS256", typ: "JWT", jwk },
      { alg: "RS256", typ: "JWT", kid: "attacker", jku: "https://evil.test/jwks.json" },
    ]) {
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claimsFor()))}`;
      const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", attacker.privateKey, new TextEncoder().encode(input)));
      await expect401(await me(`${input}.${b64url(sig)}`));
    }
  });

  it("HS256 with a wrong secret, or an HS256 token claiming the IdP issuer", async () => {
    await expect401(await me(await hs256({ alg: "HS256", typ: "JWT" }, claimsFor(), "x".repeat(48))));
    const secret = (env as unknown as Record<string, string>).JWT_SECRET!;
    // Our secret, but a subject that is not one of our user ids: never provisions anyone.
    await expect401(await me(await hs256({ alg: "HS256", typ: "JWT" }, claimsFor(), secret)));
  });

  it("a provisioned user who is then deleted", async () => {
    const sub = newSub();
    const token = await sign("RS256", claimsFor(sub));
    expect((await me(token)).status).toBe(200);
    await withDb((db) => db.update(users).set({ deletedAt: new Date() }).where(eq(users.externalSubject, `${ISSUER}|${sub}`)));
    await expect401(await me(token));
    await expect401(await me(await sign("ES256", claimsFor(sub))));
    expect(await userBySubject(sub)).toHaveLength(1); // not re-provisioned as a new account
  });
});
