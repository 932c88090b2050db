/**
 * Envelope encryption. Each user has a random 256-bit data key; it is stored only wrapped
 * (AES-256-GCM) by a key-encryption key (KEK) of the ring from ENCRYPTION_KEYS, the first
 * of which is current. The wrap is bound to the user id, so a wrapped key copied onto
 * another user does not unwrap. Deleting the wrapped key makes that user's data unreadable.
 */
import { lengthPrefixed } from "./encoding";
import { DecryptError, UnknownKeyError } from "./errors";
import { IV_BYTES } from "./aead";
import { secureRandomBytes, type RandomBytes } from "./util";

/** As parsed by worker/env.ts: `{id, key}` with 32-byte keys, the first one current. */
export type KeyRing = readonly { readonly id: string; readonly key: Uint8Array }[];

export interface WrappedDataKey {
  wrappedKey: Uint8Array;
  wrapIv: Uint8Array;
  kekId: string;
}

const DATA_KEY_BYTES = 32;
const AES_GCM = { name: "AES-GCM", length: 256 };

/** KEKs imported once per ring object (the config is parsed once per isolate). */
const imported = new WeakMap<KeyRing, Promise<Map<string, CryptoKey>>>();

function kekMap(ring: KeyRing): Promise<Map<string, CryptoKey>> {
  let keys = imported.get(ring);
  if (!keys) {
    keys = Promise.all(
      ring.map(async ({ id, key }) => {
        if (key.length !== DATA_KEY_BYTES) throw new RangeError(`key-encryption key ${id} must be 32 bytes`);
        return [id, await crypto.subtle.importKey("raw", key, AES_GCM, false, ["encrypt", "decrypt"])] as const;
      }),
    ).then((entries) => new Map(entries));
    keys.catch(() => imported.delete(ring));
    imported.set(ring, keys);
  }
  return keys;
}

export function currentKekId(ring: KeyRing): string {
  const current = ring[0];
  if (!current) throw new RangeError("the key ring is empty");
  return current.id;
}

const wrapAad = (userId: string, kekId: string) => lengthPrefixed(["unialist", "data-key", "v1", userId, kekId]);

/** Imports raw data-key bytes as a non-extractable AES-256-GCM key. */
export function importDataKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== DATA_KEY_BYTES) throw new RangeError("a data key must be 32 bytes");
  return crypto.subtle.importKey("raw", raw, AES_GCM, false, ["encrypt", "decrypt"]);
}

/** A fresh data key: `raw` to wrap (then drop), `key` to use right away. */
export async function generateDataKey(randomBytes: RandomBytes = secureRandomBytes): Promise<{ raw: Uint8Array; key: CryptoKey }> {
  const raw = randomBytes(DATA_KEY_BYTES);
  return { raw, key: await importDataKey(raw) };
}

/** Wraps under the current KEK. */
export async function wrapDataKey(
  ring: KeyRing,
  rawDataKey: Uint8Array,
  userId: string,
  randomBytes: RandomBytes = secureRandomBytes,
): Promise<WrappedDataKey> {
  if (rawDataKey.length !== DATA_KEY_BYTES) throw new RangeError("a data key must be 32 bytes");
  const kekId = currentKekId(ring);
  const kek = (await kekMap(ring)).get(kekId)!;
  const wrapIv = randomBytes(IV_BYTES);
  const wrapped = await crypto.subtle.encrypt({ name: "AES-GCM", iv: wrapIv, additionalData: wrapAad(userId, kekId) }, kek, rawDataKey);
  return { wrappedKey: new Uint8Array(wrapped), wrapIv, kekId };
}

/** Raw bytes of a wrapped data key; internal to this module (re-wrap needs them). */
async function unwrapRaw(ring: KeyRing, wrapped: WrappedDataKey, userId: string): Promise<Uint8Array> {
  const kek = (await kekMap(ring)).get(wrapped.kekId);
  if (!kek) throw new UnknownKeyError(wrapped.kekId);
  if (wrapped.wrapIv.length !== IV_BYTES) throw new DecryptError("wrapped key has a malformed IV");
  try {
    const raw = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: wrapped.wrapIv, additionalData: wrapAad(userId, wrapped.kekId) },
      kek,
      wrapped.wrappedKey,
    );
    if (raw.byteLength !== DATA_KEY_BYTES) throw new Error("wrong length");
    return new Uint8Array(raw);
  } catch {
    throw new DecryptError("the data key does not unwrap for this user");
  }
}

/**
 * The user's data key as a non-extractable CryptoKey. Throws `UnknownKeyError` when the
 * KEK id is not in the ring, `DecryptError` when the record was tampered with or belongs
 * to another user.
 */
export async function unwrapDataKey(ring: KeyRing, wrapped: WrappedDataKey, userId: string): Promise<CryptoKey> {
  const raw = await unwrapRaw(ring, wrapped, userId);
  try {
    return await importDataKey(raw);
  } finally {
    raw.fill(0);
  }
}

/** Re-wraps under the current KEK; null when already wrapped by it (nothing to write). */
export async function rewrapDataKey(
  ring: KeyRing,
  wrapped: WrappedDataKey,
  userId: string,
  randomBytes: RandomBytes = secureRandomBytes,
): Promise<WrappedDataKey | null> {
  if (wrapped.kekId === currentKekId(ring)) return null;
  const raw = await unwrapRaw(ring, wrapped, userId);
  try {
    return await wrapDataKey(ring, raw, userId, randomBytes);
  } finally {
    raw.fill(0);
  }
}
