import { describe, expect, it } from "vitest";
import { base64UrlDecode, base64UrlEncode, utf8Encode } from "./encoding";
import { MAX_TOKEN_BYTES, signAccessToken, verifyAccessToken } from "./jwt";

const secret = "s".repeat(16) + "-a-test-secret-of-32+bytes";
const T = Date.UTC(2026, 10, 15, 12, 0, 0); // epoch ms
const tSec = T / 1000;
const base = { secret, issuer: "unialist", audience: "unialist-api" };
const enc = (v: unknown) => base64UrlEncode(utf8Encode(JSON.stringify(v)));

async function hmac(key: string | Uint8Array, input: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? utf8Encode(key) : key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return base64UrlEncode(new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8Encode(input))));
}

/** A token with any header and payload, HMAC-signed with `key` (default: the real secret). */
async function forge(header: object, payload: object, key: string = secret): Promise<string> {
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${await hmac(key, input)}`;
}

const claims = (over: object = {}) => ({ sub: "u1", iss: "unialist", aud: "unialist-api", iat: tSec, exp: tSec + 900, ...over });
const verify = (token: string, now = T, over: object = {}) => verifyAccessToken(token, { ...base, now, ...over });
const reason = async (token: string, now = T, over: object = {}) => {
  const r = await verify(token, now, over);
  return r.ok ? "ok" : r.reason;
};

describe("signAccessToken", () => {
  it("signs HS256 with sub iat exp iss aud jti", async () => {
    const token = await signAccessToken({ ...base, sub: "user-1", ttlSeconds: 900, now: T });
    const [h, p] = token.split(".") as [string, string];
    expect(JSON.parse(new TextDecoder().decode(base64UrlDecode(h)))).toEqual({ alg: "HS256", typ: "JWT" });
    const r = await verify(token);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.claims).toMatchObject({ sub: "user-1", iss: "unialist", aud: "unialist-api", iat: tSec, exp: tSec + 900 });
    expect(r.claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.parse(new TextDecoder().decode(base64UrlDecode(p))).jti).toBe(r.claims.jti);
  });

  it("takes an explicit jti, a Date clock and extra claims that cannot override registered ones", async () => {
    const token = await signAccessToken({ ...base, sub: "u", ttlSeconds: 60, now: new Date(T), jti: "j-1", claims: { tier: "free", sub: "admin" } });
    const r = await verify(token);
    expect(r.ok && r.claims).toMatchObject({ sub: "u", jti: "j-1", tier: "free", exp: tSec + 60 });
    const other = await signAccessToken({ ...base, sub: "u", ttlSeconds: 60, now: T });
    expect(other.split(".")[1]).not.toBe(token.split(".")[1]);
  });

  it("refuses a short secret or a non-positive ttl", async () => {
    await expect(signAccessToken({ ...base, secret: "short", sub: "u", ttlSeconds: 60, now: T })).rejects.toThrow(TypeError);
    await expect(signAccessToken({ ...base, sub: "u", ttlSeconds: 0, now: T })).rejects.toThrow(RangeError);
    const token = await signAccessToken({ ...base, sub: "u", ttlSeconds: 60, now: T });
    await expect(verifyAccessToken(token, { ...base, secret: "short", now: T })).rejects.toThrow(TypeError);
  });
});

describe("verifyAccessToken (HS256)", () => {
  it("applies a 30 s default clock skew to exp: 10 s late passes, 31 s late fails", async () => {
    const token = await signAccessToken({ ...base, sub: "u", ttlSeconds: 900, now: T });
    const expiry = T + 900_000;
    expect(await reason(token, expiry + 10_000)).toBe("ok");
    expect(await reason(token, expiry + 31_000)).toBe("expired");
    expect(await reason(token, expiry + 10_000, { clockSkewSeconds: 0 })).toBe("expired");
  });

  it("refuses nbf and iat in the future beyond the skew", async () => {
    expect(await reason(await forge({ alg: "HS256" }, claims({ nbf: tSec + 10 })))).toBe("ok");
    expect(await reason(await forge({ alg: "HS256" }, claims({ nbf: tSec + 31 })))).toBe("not_yet_valid");
    expect(await reason(await forge({ alg: "HS256" }, claims({ iat: tSec + 3600, exp: tSec + 7200 })))).toBe("iat_future");
  });

  it("checks issuer and audience (string or array)", async () => {
    expect(await reason(await forge({ alg: "HS256" }, claims({ iss: "evil" })))).toBe("bad_issuer");
    expect(await reason(await forge({ alg: "HS256" }, claims({ aud: "other-api" })))).toBe("bad_audience");
    expect(await reason(await forge({ alg: "HS256" }, claims({ aud: ["x", "unialist-api"] })))).toBe("ok");
    expect(await reason(await forge({ alg: "HS256" }, claims({ aud: ["x", "y"] })))).toBe("bad_audience");
    expect(await reason(await forge({ alg: "HS256" }, claims({ aud: [] })))).toBe("missing_claims");
  });

  it("refuses alg none in any case, with or without a signature", async () => {
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      const unsigned = `${enc({ alg, typ: "JWT" })}.${enc(claims())}.`;
      expect(await reason(unsigned), alg).toBe("alg_none");
      expect(await reason(await forge({ alg }, claims())), alg).toBe("alg_none");
    }
  });

  it("refuses algorithms other than HS256, including RS256/ES256 headers signed with the secret", async () => {
    for (const alg of ["RS256", "ES256", "PS256", "HS384", "HS512", "hs256", "EdDSA"]) {
      expect(await reason(await forge({ alg, kid: "k1" }, claims())), alg).toBe("alg_not_allowed");
    }
  });

  it("refuses bad signatures", async () => {
    const token = await signAccessToken({ ...base, sub: "u", ttlSeconds: 900, now: T });
    const [h, p, s] = token.split(".") as [string, string, string];
    const flipped = (s[0] === "A" ? "B" : "A") + s.slice(1);
    expect(await reason(`${h}.${p}.${flipped}`)).toBe("bad_signature");
    expect(await reason(`${h}.${enc(claims({ sub: "admin" }))}.${s}`)).toBe("bad_signature");
    expect(await reason(await forge({ alg: "HS256" }, claims(), "another-secret-that-is-32-bytes-long"))).toBe("bad_signature");
    expect(await reason(`${h}.${p}.`)).toBe("bad_signature");
    expect(await reason(`${h}.${p}.${s.slice(0, 8)}`)).toBe("bad_signature");
  });

  it("refuses malformed tokens", async () => {
    const good = await signAccessToken({ ...base, sub: "u", ttlSeconds: 900, now: T });
    const [h, p, s] = good.split(".") as [string, string, string];
    const notJson = base64UrlEncode(utf8Encode("{not json"));
    for (const bad of [
      "", "abc", `${h}.${p}`, `${h}.${p}.${s}.${s}`, `${h}..${s}`, `.${p}.${s}`,
      `${h}.${p}.${s}=`, `${h}.${p}.${s.slice(0, -1)}+`, `${h}!.${p}.${s}`, `${h}.${p}.${s}\n`,
      `${notJson}.${p}.${s}`, `${h}.${notJson}.${s}`,
      `${enc([1, 2])}.${p}.${s}`, `${h}.${enc("string")}.${s}`, `${h}.${enc(null)}.${s}`,
      `${enc({ typ: "JWT" })}.${p}.${s}`, `${enc({ alg: 256 })}.${p}.${s}`, `${enc({ alg: "HS256", kid: 7 })}.${p}.${s}`,
      `${base64UrlEncode(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))}.${p}.${s}`,
    ]) {
      expect(await reason(bad), JSON.stringify(bad)).toBe("malformed");
    }
  });

  it("refuses tokens missing or mistyping required claims", async () => {
    const { sub: _s, ...noSub } = claims();
    const { exp: _e, ...noExp } = claims();
    const { iss: _i, ...noIss } = claims();
    const { aud: _a, ...noAud } = claims();
    for (const payload of [noSub, noExp, noIss, noAud, claims({ sub: "" }), claims({ sub: 42 }), claims({ exp: String(tSec + 900) }),
      claims({ exp: null }), claims({ iat: "now" }), claims({ nbf: "0" }), claims({ aud: 1 }), claims({ aud: ["a", 1] }), claims({ jti: 5 })]) {
      expect(await reason(await forge({ alg: "HS256" }, payload)), JSON.stringify(payload)).toBe("missing_claims");
    }
  });

  it("refuses tokens over 8 KB even when correctly signed", async () => {
    const big = await signAccessToken({ ...base, sub: "u", ttlSeconds: 900, now: T, claims: { pad: "x".repeat(MAX_TOKEN_BYTES) } });
    expect(big.length).toBeGreaterThan(MAX_TOKEN_BYTES);
    expect(await reason(big)).toBe("too_large");
    const fits = await signAccessToken({ ...base, sub: "u", ttlSeconds: 900, now: T, claims: { pad: "x".repeat(5000) } });
    expect(await reason(fits)).toBe("ok");
  });

  it("refuses critical header extensions it does not understand", async () => {
    expect(await reason(await forge({ alg: "HS256", crit: ["exp"], exp: 1 }, claims()))).toBe("unsupported_header");
  });
});
