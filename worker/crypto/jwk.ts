/**
 * Public keys of an identity provider (RFC 7517 JWK / JWKS) for RS256 and ES256: which
 * entry may verify a token, import of its public parameters only, signature check.
 */
import type { JwtHeader } from "./jwt";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export interface Jwk {
  kty: string;
  kid?: string;
  use?: string;
  alg?: string;
  key_ops?: string[];
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
  [key: string]: unknown;
}

export interface Jwks {
  keys: Jwk[];
}

const ALG_PARAMS = {
  RS256: { kty: "RSA", import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, verify: { name: "RSASSA-PKCS1-v1_5" } },
  ES256: { kty: "EC", import: { name: "ECDSA", namedCurve: "P-256" }, verify: { name: "ECDSA", hash: "SHA-256" } },
} as const;
type AsymAlg = keyof typeof ALG_PARAMS;

/** Imported keys per fetched key set (a new JWKS object after each refetch). */
const importedJwks = new WeakMap<Jwks, Map<Jwk, Promise<CryptoKey | null>>>();

function usable(jwk: Jwk, alg: AsymAlg): boolean {
  if (jwk.kty !== ALG_PARAMS[alg].kty) return false;
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) return false;
  if (alg === "ES256") return jwk.crv === "P-256" && typeof jwk.x === "string" && typeof jwk.y === "string";
  // RSA keys under 2048 bits are refused (n is base64url: 2048 bits ≈ 342 chars).
  return typeof jwk.n === "string" && jwk.n.length >= 342 && typeof jwk.e === "string";
}

async function importJwk(jwk: Jwk, alg: AsymAlg): Promise<CryptoKey | null> {
  // Only the public parameters; extra members (d, key_ops, ext…) never reach importKey.
  const pub = alg === "RS256" ? { kty: "RSA", n: jwk.n, e: jwk.e } : { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
  try {
    return await crypto.subtle.importKey("jwk", pub as JsonWebKey, ALG_PARAMS[alg].import, false, ["verify"]);
  } catch {
    return null;
  }
}

/** The key named by `kid` (or the only candidate when the token has no kid) that fits the alg. */
export async function pickJwk(jwks: Jwks, header: JwtHeader): Promise<CryptoKey | null> {
  const alg = header.alg as AsymAlg;
  const candidates = (Array.isArray(jwks.keys) ? jwks.keys : []).filter((k) => isObject(k) && usable(k, alg));
  const matching = header.kid === undefined ? candidates : candidates.filter((k) => k.kid === header.kid);
  if (matching.length !== 1) return null;
  const jwk = matching[0]!;
  let cache = importedJwks.get(jwks);
  if (!cache) importedJwks.set(jwks, (cache = new Map()));
  let key = cache.get(jwk);
  if (!key) cache.set(jwk, (key = importJwk(jwk, alg)));
  return key;
}

export async function verifyAsymmetric(alg: string, key: CryptoKey, signature: Uint8Array, input: Uint8Array): Promise<boolean> {
  const params = ALG_PARAMS[alg as AsymAlg];
  // JWS ES256 signatures are raw r||s (64 bytes), which is also WebCrypto's format.
  if (alg === "ES256" && signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify(params.verify, key, signature, input);
  } catch {
    return false;
  }
}
