/**
 * Password hashing with PBKDF2-HMAC-SHA256 through WebCrypto (the only password KDF the
 * Workers runtime offers natively).
 *
 * Iteration cap: Cloudflare's production runtime refuses PBKDF2 above 100,000 iterations
 * ("NotSupportedError: Pbkdf2 failed: iteration counts above 100000 are not supported",
 * cloudflare/workerd#1346). The open-source workerd used by `wrangler dev` and the vitest
 * plugin does NOT enforce it (verified with workerd 1.20261102.1: 100,001 and 600,000
 * succeed), so a higher count would pass every local test and fail every real sign-up.
 * We therefore enforce the cap ourselves, before calling WebCrypto; password.test.ts pins
 * both facts. 100,000 is below OWASP's 600,000 for PBKDF2-SHA256: the stored format is
 * versioned and `needsRehash` lets us move up (or to another KDF) when the platform allows.
 *
 * Stored format: `pbkdf2-sha256$v1$<iterations>$<salt base64>$<hash base64>`.
 */
import { base64Decode, base64Encode, utf8Encode } from "./encoding";
import { secureRandomBytes, timingSafeEqual, type RandomBytes } from "./util";

export const PBKDF2_MAX_ITERATIONS = 100_000;
export const PASSWORD_ITERATIONS = PBKDF2_MAX_ITERATIONS;
const SCHEME = "pbkdf2-sha256";
const VERSION = "v1";
const SALT_BYTES = 16;
const HASH_BYTES = 32;

/** Raw PBKDF2-HMAC-SHA256. Passwords are NFC-normalized so the same typed text always matches. */
export async function pbkdf2Sha256(password: string, salt: Uint8Array, iterations: number, bytes = HASH_BYTES): Promise<Uint8Array> {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS) {
    throw new RangeError(`PBKDF2 iterations must be 1..${PBKDF2_MAX_ITERATIONS} (Workers limit), got ${iterations}`);
  }
  const base = await crypto.subtle.importKey("raw", utf8Encode(password.normalize("NFC")), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, bytes * 8);
  return new Uint8Array(bits);
}

export async function hashPassword(
  password: string,
  options: { randomBytes?: RandomBytes; iterations?: number } = {},
): Promise<string> {
  const iterations = options.iterations ?? PASSWORD_ITERATIONS;
  const salt = (options.randomBytes ?? secureRandomBytes)(SALT_BYTES);
  if (salt.length !== SALT_BYTES) throw new RangeError("salt source returned the wrong length");
  const hash = await pbkdf2Sha256(password, salt, iterations);
  return [SCHEME, VERSION, String(iterations), base64Encode(salt), base64Encode(hash)].join("$");
}

interface ParsedHash {
  version: string;
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

const FORMAT = /^pbkdf2-sha256\$(v[0-9]{1,3})\$([1-9][0-9]{0,8})\$([A-Za-z0-9+/=]{1,128})\$([A-Za-z0-9+/=]{1,128})$/;

function parse(stored: string): ParsedHash | null {
  const m = FORMAT.exec(stored);
  if (!m || m[1] !== VERSION) return null;
  const iterations = Number(m[2]);
  if (iterations > PBKDF2_MAX_ITERATIONS) return null; // would fail on Workers anyway
  try {
    const salt = base64Decode(m[3]!);
    const hash = base64Decode(m[4]!);
    return salt.length >= SALT_BYTES && hash.length === HASH_BYTES ? { version: m[1], iterations, salt, hash } : null;
  } catch {
    return null;
  }
}

export interface PasswordCheck {
  ok: boolean;
  /** True only when `ok` and the stored hash uses fewer iterations or an older version than now. */
  needsRehash: boolean;
}

/**
 * Constant-time check of a password against a stored hash. A malformed or unknown-format
 * hash is a mismatch (after spending the same work as a real check), never an exception.
 */
export async function verifyPassword(password: string, stored: string): Promise<PasswordCheck> {
  const parsed = parse(stored);
  if (!parsed) {
    await verifyDummy(password);
    return { ok: false, needsRehash: false };
  }
  const derived = await pbkdf2Sha256(password, parsed.salt, parsed.iterations);
  const ok = timingSafeEqual(derived, parsed.hash);
  return { ok, needsRehash: ok && (parsed.version !== VERSION || parsed.iterations < PASSWORD_ITERATIONS) };
}

/** A well-formed hash at the current cost that no password matches in practice. */
export const DUMMY_HASH = `${SCHEME}$${VERSION}$${PASSWORD_ITERATIONS}$dW5pYWxpc3QtZHVtbXkhIQ==$dW5pYWxpc3QvZHVtbXkvaGFzaC9uZXZlci9tYXRjaCE=`;

/** Spends the time of a real verification (for unknown users); always a mismatch. */
export async function verifyDummy(password = ""): Promise<{ ok: false; needsRehash: false }> {
  const parsed = parse(DUMMY_HASH)!;
  timingSafeEqual(await pbkdf2Sha256(password, parsed.salt, parsed.iterations), parsed.hash);
  return { ok: false, needsRehash: false };
}
