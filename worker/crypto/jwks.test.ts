import { beforeAll, describe, expect, it } from "vitest";
import { base64Encode, base64UrlEncode, utf8Encode } from "./encoding";
import { createJwksVerifier, UNKNOWN_KID_REFETCH_MS } from "./jwks";
import type { Jwk, Jwks } from "./jwk";
import { signAccessToken, verifyAccessToken } from "./jwt";

const T = Date.UTC(2026, 10, 15, 12, 0, 0);
const tSec = T / 1000;
const IDP = { issuer: "https://idp.example/", audience: "unialist-api" };
const secret = "the-gateway-hmac-secret-32-bytes-or-more";
const enc = (v: unknown) => base64UrlEncode(utf8Encode(JSON.stringify(v)));
const claims = (over: object = {}) => ({ sub: "ext|42", iss: IDP.issuer, aud: [IDP.audience], iat: tSec, exp: tSec + 300, ...over });

const RSA = { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
const EC = { name: "ECDSA", namedCurve: "P-256" };
type Pair = { privateKey: CryptoKey; publicKey: CryptoKey };
const gen = async (alg: object) => (await crypto.subtle.generateKey(alg as never, true, ["sign", "verify"])) as Pair;
const publicJwk = async (pair: Pair, kid: string, alg: string): Promise<Jwk> => {
  const { kty, n, e, crv, x, y } = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as Jwk;
  return JSON.parse(JSON.stringify({ kty, n, e, crv, x, y, kid, alg, use: "sig" })) as Jwk;
};

async function sign(alg: "RS256" | "ES256", key: CryptoKey, header: object, payload: object): Promise<string> {
  const input = `${enc({ alg, typ: "JWT", ...header })}.${enc(payload)}`;
  const params = alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" };
  return `${input}.${base64UrlEncode(new Uint8Array(await crypto.subtle.sign(params, key, utf8Encode(input))))}`;
}
async function hmacToken(key: Uint8Array, header: object, payload: object): Promise<string> {
  const input = `${enc(header)}.${enc(payload)}`;
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `${input}.${base64UrlEncode(new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8Encode(input))))}`;
}

let rsa: Pair, ec: Pair, attacker: Pair, jwks: Jwks;
beforeAll(async () => {
  [rsa, ec, attacker] = await Promise.all([gen(RSA), gen(EC), gen(RSA)]);
  jwks = { keys: [await publicJwk(rsa, "rsa-1", "RS256"), await publicJwk(ec, "ec-1", "ES256")] };
});

const reason = async (token: string, keys: Jwks = jwks, now = T) => {
  const r = await verifyAccessToken(token, { jwks: keys, ...IDP, now });
  return r.ok ? "ok" : r.reason;
};

describe("verifyAccessToken with a JWKS", () => {
  it("accepts RS256 and ES256 tokens signed by the key named by kid", async () => {
    expect(await reason(await sign("RS256", rsa.privateKey, { kid: "rsa-1" }, claims()))).toBe("ok");
    expect(await reason(await sign("ES256", ec.privateKey, { kid: "ec-1" }, claims()))).toBe("ok");
  });

  it("checks iss, aud and exp (with skew) on provider tokens too", async () => {
    const tok = (over: object) => sign("RS256", rsa.privateKey, { kid: "rsa-1" }, claims(over));
    expect(await reason(await tok({ iss: "https://evil.example/" }))).toBe("bad_issuer");
    expect(await reason(await tok({ aud: "someone-else" }))).toBe("bad_audience");
    expect(await reason(await tok({ exp: tSec - 31 }))).toBe("expired");
    expect(await reason(await tok({ exp: tSec - 10 }))).toBe("ok");
  });

  it("refuses HS256 tokens on the JWKS path, whatever key signed them", async () => {
    expect(await reason(await hmacToken(utf8Encode(secret), { alg: "HS256", kid: "rsa-1" }, claims()))).toBe("alg_not_allowed");
  });

  it("refuses the classic key confusion: HS256 signed with the provider's public key bytes", async () => {
    const jwkBytes = utf8Encode(JSON.stringify(jwks.keys[0]));
    const spki = new Uint8Array((await crypto.subtle.exportKey("spki", rsa.publicKey)) as ArrayBuffer);
    const pem = utf8Encode(`-----BEGIN PUBLIC KEY-----\n${base64Encode(spki).replace(/.{64}/g, "$&\n")}\n-----END PUBLIC KEY-----\n`);
    for (const keyBytes of [jwkBytes, spki, pem]) {
      expect(await reason(await hmacToken(keyBytes, { alg: "HS256", kid: "rsa-1" }, claims()))).toBe("alg_not_allowed");
      // Same forgery with the header claiming RS256: the HMAC bytes are not an RSA signature.
      expect(await reason(await hmacToken(keyBytes, { alg: "RS256", kid: "rsa-1" }, claims()))).toBe("bad_signature");
    }
  });

  it("never verifies RS256/ES256 tokens with the HMAC secret (HMAC path)", async () => {
    const rs = await sign("RS256", rsa.privateKey, { kid: "rsa-1" }, claims());
    const forged = await hmacToken(utf8Encode(secret), { alg: "RS256", kid: "rsa-1" }, claims({ iss: "unialist", aud: "unialist-api" }));
    for (const token of [rs, forged]) {
      const r = await verifyAccessToken(token, { secret, issuer: "unialist", audience: "unialist-api", now: T });
      expect(r).toEqual({ ok: false, reason: "alg_not_allowed" });
    }
    const ours = await signAccessToken({ secret, issuer: IDP.issuer, audience: IDP.audience, sub: "u", ttlSeconds: 60, now: T });
    expect(await reason(ours)).toBe("alg_not_allowed");
  });

  it("refuses alg none with an empty signature and other algorithms", async () => {
    expect(await reason(`${enc({ alg: "none", kid: "rsa-1" })}.${enc(claims())}.`)).toBe("alg_none");
    expect(await reason(`${enc({ alg: "NoNe" })}.${enc(claims())}.`)).toBe("alg_none");
    for (const alg of ["PS256", "RS512", "ES384", "EdDSA", "HS512"]) {
      expect(await reason(`${enc({ alg, kid: "rsa-1" })}.${enc(claims())}.c2ln`), alg).toBe("alg_not_allowed");
    }
  });

  it("picks keys strictly by kid and key type", async () => {
    expect(await reason(await sign("RS256", rsa.privateKey, { kid: "nope" }, claims()))).toBe("unknown_kid");
    // kid of the EC key on an RS256 token: no RSA key with that kid.
    expect(await reason(await sign("RS256", rsa.privateKey, { kid: "ec-1" }, claims()))).toBe("unknown_kid");
    // Signed by another key under a known kid.
    expect(await reason(await sign("RS256", attacker.privateKey, { kid: "rsa-1" }, claims()))).toBe("bad_signature");
    // Without kid: fine when exactly one key fits the alg.
    expect(await reason(await sign("ES256", ec.privateKey, {}, claims()))).toBe("ok");
    const two: Jwks = { keys: [...jwks.keys, await publicJwk(attacker, "rsa-2", "RS256")] };
    expect(await reason(await sign("RS256", rsa.privateKey, {}, claims()), two)).toBe("unknown_kid");
  });

  it("ignores keys embedded in the token header (jwk, jku, x5u)", async () => {
    const attackerJwk = await publicJwk(attacker, "rsa-1", "RS256");
    const header = { kid: "rsa-1", jwk: attackerJwk, jku: "https://evil.example/jwks", x5u: "https://evil.example/cert" };
    expect(await reason(await sign("RS256", attacker.privateKey, header, claims()))).toBe("bad_signature");
    expect(await reason(await sign("RS256", attacker.privateKey, { ...header, kid: "evil" }, claims()))).toBe("unknown_kid");
  });

  it("skips JWKS entries that are not signature keys for the alg, or weak", async () => {
    const token = await sign("RS256", rsa.privateKey, { kid: "rsa-1" }, claims());
    const jwk = jwks.keys[0]!;
    for (const bad of [{ ...jwk, use: "enc" }, { ...jwk, alg: "RS512" }, { ...jwk, key_ops: ["encrypt"] }, { ...jwk, kty: "EC" }]) {
      expect(await reason(token, { keys: [bad] })).toBe("unknown_kid");
    }
    const weak = await gen({ ...RSA, modulusLength: 1024 });
    const weakToken = await sign("RS256", weak.privateKey, { kid: "weak" }, claims());
    expect(await reason(weakToken, { keys: [await publicJwk(weak, "weak", "RS256")] })).toBe("unknown_kid");
    expect(await reason(token, { keys: [{ kty: "RSA", kid: "rsa-1", n: "A".repeat(400), e: "!!" }] })).toBe("unknown_kid");
  });

  it("refuses ES256 signatures that are not raw 64-byte r||s", async () => {
    const token = await sign("ES256", ec.privateKey, { kid: "ec-1" }, claims());
    const [h, p] = token.split(".");
    expect(await reason(`${h}.${p}.${base64UrlEncode(new Uint8Array(70).fill(1))}`)).toBe("bad_signature");
  });
});

describe("createJwksVerifier", () => {
  function setup(initial: Jwks, cacheTtlMs = 10 * 60_000) {
    const state = { now: T, body: initial as unknown, status: 200, calls: [] as string[] };
    const fetch = (async (input: RequestInfo | URL) => {
      state.calls.push(String(input));
      return new Response(JSON.stringify(state.body), { status: state.status, headers: { "content-type": "application/json" } });
    }) as typeof globalThis.fetch;
    const verifier = createJwksVerifier({ jwksUrl: "https://idp.example/.well-known/jwks.json", ...IDP, cacheTtlMs, fetch, now: () => state.now });
    return { state, verifier };
  }
  const token = (kid = "rsa-1", key?: CryptoKey, over: object = {}) => sign("RS256", key ?? rsa.privateKey, { kid }, claims(over));

  it("fetches the JWKS once, caches it for the TTL, then refetches", async () => {
    const { state, verifier } = setup(jwks);
    const t = await token();
    expect(await verifier.verify(t)).toMatchObject({ ok: true, claims: { sub: "ext|42" } });
    expect(await verifier.verify(t)).toMatchObject({ ok: true });
    expect(state.calls).toEqual(["https://idp.example/.well-known/jwks.json"]);
    state.now += 10 * 60_000 - 1;
    await verifier.verify(t);
    expect(state.calls).toHaveLength(1);
    state.now += 1;
    await verifier.verify(await token("rsa-1", undefined, { iat: state.now / 1000, exp: state.now / 1000 + 60 }));
    expect(state.calls).toHaveLength(2);
  });

  it("shares one fetch between concurrent first verifications", async () => {
    const { state, verifier } = setup(jwks);
    const t = await token();
    const results = await Promise.all([verifier.verify(t), verifier.verify(t), verifier.verify(t)]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(state.calls).toHaveLength(1);
  });

  it("refetches on an unknown kid at most once a minute (provider key rotation)", async () => {
    const rotated = await gen(RSA);
    const { state, verifier } = setup(jwks);
    expect((await verifier.verify(await token())).ok).toBe(true);
    state.body = { keys: [...jwks.keys, await publicJwk(rotated, "rsa-2", "RS256")] };
    const newToken = await token("rsa-2", rotated.privateKey);
    state.now += 30_000;
    expect(await verifier.verify(newToken)).toEqual({ ok: false, reason: "unknown_kid" });
    expect(state.calls).toHaveLength(1);
    state.now += UNKNOWN_KID_REFETCH_MS - 30_000;
    expect((await verifier.verify(newToken)).ok).toBe(true);
    expect(state.calls).toHaveLength(2);
  });

  it("does not let forged kids hammer the provider", async () => {
    const { state, verifier } = setup(jwks);
    await verifier.verify(await token());
    for (let i = 0; i < 20; i++) {
      state.now += 10_000;
      expect(await verifier.verify(await token(`forged-${i}`, attacker.privateKey))).toEqual({ ok: false, reason: "unknown_kid" });
    }
    // 200 s of forged kids: one refetch per minute at most.
    expect(state.calls.length).toBeLessThanOrEqual(1 + 4);
  });

  it("keeps the last good key set when a refetch fails, and reports jwks_unavailable with none", async () => {
    const { state, verifier } = setup(jwks, 60_000);
    expect((await verifier.verify(await token())).ok).toBe(true);
    state.status = 503;
    state.now += 60_000;
    const t = await token("rsa-1", undefined, { exp: state.now / 1000 + 60 });
    expect((await verifier.verify(t)).ok).toBe(true);
    expect(state.calls).toHaveLength(2);

    const empty = setup(jwks);
    empty.state.status = 500;
    expect(await empty.verifier.verify(t)).toEqual({ ok: false, reason: "jwks_unavailable" });
    empty.state.body = "not a jwks";
    empty.state.status = 200;
    expect(await empty.verifier.verify(t)).toEqual({ ok: false, reason: "jwks_unavailable" });
    expect(empty.state.calls).toHaveLength(1); // retried only after a short pause
    empty.state.now += 5_000;
    empty.state.body = jwks;
    expect((await empty.verifier.verify(await token("rsa-1", undefined, { exp: empty.state.now / 1000 + 60 }))).ok).toBe(true);
  });

  it("accepts only RS256/ES256 and checks iss/aud/exp", async () => {
    const { verifier } = setup(jwks);
    expect((await verifier.verify(await sign("ES256", ec.privateKey, { kid: "ec-1" }, claims()))).ok).toBe(true);
    expect(await verifier.verify(await hmacToken(utf8Encode(secret), { alg: "HS256", kid: "rsa-1" }, claims()))).toEqual({ ok: false, reason: "alg_not_allowed" });
    expect(await verifier.verify(await token("rsa-1", undefined, { iss: "x" }))).toEqual({ ok: false, reason: "bad_issuer" });
    expect(await verifier.verify(await token("rsa-1", undefined, { aud: "x" }))).toEqual({ ok: false, reason: "bad_audience" });
    expect(await verifier.verify(await token("rsa-1", undefined, { exp: tSec - 31 }))).toEqual({ ok: false, reason: "expired" });
  });
});
