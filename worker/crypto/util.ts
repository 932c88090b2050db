/** Randomness, hashing and constant-time comparison. */
import { base64UrlEncode, hexEncode, utf8Encode } from "./encoding";

/** Source of random bytes; injectable so tests can be exact. */
export type RandomBytes = (length: number) => Uint8Array;

export const secureRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/** A random opaque token, base64url without padding (32 bytes → 43 chars). */
export function randomToken(bytes = 32, randomBytes: RandomBytes = secureRandomBytes): string {
  if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError("token length must be a positive integer");
  return base64UrlEncode(randomBytes(bytes));
}

const toBytes = (v: string | Uint8Array): Uint8Array => (typeof v === "string" ? utf8Encode(v) : v);

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return hexEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", toBytes(data))));
}

/** Imported HMAC keys by their string form: imported once per isolate, not on every call. */
const hmacKeys = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_HMAC_KEYS = 32;

const importHmacKey = (key: string | Uint8Array) =>
  crypto.subtle.importKey("raw", toBytes(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);

function hmacKeyFor(key: string | Uint8Array): Promise<CryptoKey> {
  if (typeof key !== "string") return importHmacKey(key);
  let cached = hmacKeys.get(key);
  if (!cached) {
    if (hmacKeys.size >= MAX_CACHED_HMAC_KEYS) hmacKeys.delete(hmacKeys.keys().next().value!);
    cached = importHmacKey(key);
    hmacKeys.set(key, cached);
    cached.catch(() => hmacKeys.delete(key));
  }
  return cached;
}

export async function hmacSha256Hex(key: string | Uint8Array, data: string | Uint8Array): Promise<string> {
  return hexEncode(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKeyFor(key), toBytes(data))));
}

/**
 * Compares in time that depends only on the longer length, never on where the inputs
 * differ. Strings are compared as UTF-8 bytes.
 */
export function timingSafeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = toBytes(a);
  const y = toBytes(b);
  const length = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
