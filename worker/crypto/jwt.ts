/**
 * Access tokens (JWS compact). Our own tokens are HS256; tokens of an external identity
 * provider are RS256/ES256 checked against its JWKS. The verification key is chosen by
 * the CONFIGURED kind (`secret` xor `jwks`), never by the token header: an RS256 token is
 * never checked with the HMAC secret and an HS256 token never with a public key. The
 * header's own key hints (jwk, jku, x5u, x5c) are ignored.
 */
import { base64UrlDecode, base64UrlEncode, utf8Decode, utf8Encode } from "./encoding";
import { pickJwk, verifyAsymmetric, type Jwks } from "./jwk";
import { randomToken } from "./util";

export const MAX_TOKEN_BYTES = 8192;
const MIN_SECRET_BYTES = 32;

export type JwtFailure =
  | "too_large" // longer than MAX_TOKEN_BYTES
  | "malformed" // not three base64url parts of JSON objects
  | "alg_none"
  | "alg_not_allowed" // e.g. RS256 on the HMAC path, HS256 on the JWKS path
  | "unsupported_header" // `crit` extensions we do not implement
  | "unknown_kid" // no usable JWKS key for the header's kid / alg
  | "bad_signature"
  | "missing_claims" // sub, exp, iss or aud absent or of the wrong type
  | "expired"
  | "not_yet_valid" // nbf in the future (beyond skew)
  | "iat_future" // issued in the future (beyond skew)
  | "bad_issuer"
  | "bad_audience"
  | "jwks_unavailable"; // only from createJwksVerifier: no key set could be fetched

export interface AccessClaims {
  sub: string;
  iss: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  [claim: string]: unknown;
}

export type JwtResult = { ok: true; claims: AccessClaims } | { ok: false; reason: JwtFailure };

export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [key: string]: unknown;
}

/** Milliseconds since the epoch, like Date.now(). */
type Clock = number | Date;
const seconds = (now: Clock) => (typeof now === "number" ? now : now.getTime()) / 1000;

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  if (utf8Encode(secret).length < MIN_SECRET_BYTES) throw new TypeError("the JWT secret must be at least 32 bytes");
  let key = hmacKeys.get(secret);
  if (!key) {
    if (hmacKeys.size >= 4) hmacKeys.clear();
    key = crypto.subtle.importKey("raw", utf8Encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

const encodeJson = (value: unknown) => base64UrlEncode(utf8Encode(JSON.stringify(value)));

export async function signAccessToken(options: {
  sub: string;
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Epoch milliseconds (Date.now()) or a Date. */
  now: Clock;
  jti?: string;
  /** Extra claims; cannot override the registered ones above. */
  claims?: Record<string, unknown>;
}): Promise<string> {
  if (!options.sub) throw new TypeError("sub is required");
  if (!(options.ttlSeconds > 0)) throw new RangeError("ttlSeconds must be positive");
  const iat = Math.floor(seconds(options.now));
  const payload = {
    ...options.claims,
    sub: options.sub,
    iss: options.issuer,
    aud: options.audience,
    iat,
    exp: iat + Math.floor(options.ttlSeconds),
    jti: options.jti ?? randomToken(16),
  };
  const input = `${encodeJson({ alg: "HS256", typ: "JWT" })}.${encodeJson(payload)}`;
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(options.secret), utf8Encode(input));
  return `${input}.${base64UrlEncode(new Uint8Array(signature))}`;
}

export interface VerifyCommon {
  issuer: string;
  audience: string;
  now: Clock;
  clockSkewSeconds?: number;
}

/** Exactly one key source: our HMAC secret, or an identity provider's (already fetched) JWKS. */
export type VerifyOptions = VerifyCommon & ({ secret: string; jwks?: undefined } | { jwks: Jwks; secret?: undefined });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(utf8Decode(base64UrlDecode(part)));
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

type Parsed = { header: JwtHeader; payload: Record<string, unknown>; input: Uint8Array; signature: Uint8Array };

function parse(token: string): Parsed | JwtFailure {
  if (typeof token !== "string") return "malformed";
  if (token.length > MAX_TOKEN_BYTES) return "too_large";
  const parts = token.split(".");
  if (parts.length !== 3) return "malformed";
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  if (!header || typeof header.alg !== "string") return "malformed";
  if (header.alg.toLowerCase() === "none") return "alg_none";
  if ("kid" in header && typeof header.kid !== "string") return "malformed";
  const payload = decodeJson(p);
  if (!payload) return "malformed";
  let signature: Uint8Array;
  try {
    signature = base64UrlDecode(s);
  } catch {
    return "malformed";
  }
  return { header: header as JwtHeader, payload, input: utf8Encode(`${h}.${p}`), signature };
}

export async function verifyAccessToken(token: string, options: VerifyOptions): Promise<JwtResult> {
  const parsed = parse(token);
  if (typeof parsed === "string") return { ok: false, reason: parsed };
  const { header } = parsed;
  const allowed = options.jwks ? ["RS256", "ES256"] : ["HS256"];
  if (!allowed.includes(header.alg)) return { ok: false, reason: "alg_not_allowed" };
  if ("crit" in header) return { ok: false, reason: "unsupported_header" };
  if (parsed.signature.length === 0) return { ok: false, reason: "bad_signature" };

  let valid: boolean;
  if (options.jwks) {
    const key = await pickJwk(options.jwks, header);
    if (!key) return { ok: false, reason: "unknown_kid" };
    valid = await verifyAsymmetric(header.alg, key, parsed.signature, parsed.input);
  } else {
    valid = await crypto.subtle.verify("HMAC", await hmacKey(options.secret), parsed.signature, parsed.input);
  }
  if (!valid) return { ok: false, reason: "bad_signature" };

  const reason = checkClaims(parsed.payload, options);
  return reason ? { ok: false, reason } : { ok: true, claims: parsed.payload as AccessClaims };
}

function checkClaims(c: Record<string, unknown>, o: VerifyCommon): JwtFailure | null {
  const audOk = typeof c.aud === "string" || (Array.isArray(c.aud) && c.aud.length > 0 && c.aud.every((a) => typeof a === "string"));
  if (typeof c.sub !== "string" || !c.sub || typeof c.iss !== "string" || !audOk || !isNumber(c.exp)) return "missing_claims";
  for (const name of ["iat", "nbf"] as const) if (name in c && !isNumber(c[name])) return "missing_claims";
  if ("jti" in c && typeof c.jti !== "string") return "missing_claims";
  const now = seconds(o.now);
  const skew = o.clockSkewSeconds ?? 30;
  if (now - skew >= c.exp) return "expired";
  if (isNumber(c.nbf) && c.nbf > now + skew) return "not_yet_valid";
  if (isNumber(c.iat) && c.iat > now + skew) return "iat_future";
  if (c.iss !== o.issuer) return "bad_issuer";
  const audiences = typeof c.aud === "string" ? [c.aud] : (c.aud as string[]);
  if (!audiences.includes(o.audience)) return "bad_audience";
  return null;
}
