/**
 * Byte/text encodings used by the crypto helpers. Decoders are strict: they throw
 * `EncodingError` on any character outside the alphabet and on non-canonical input
 * (wrong padding, non-zero trailing bits), so one byte string has exactly one encoding.
 */
export class EncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EncodingError";
  }
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export const utf8Encode = (text: string): Uint8Array => encoder.encode(text);

/** Throws `EncodingError` on invalid UTF-8 (never substitutes U+FFFD). */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new EncodingError("invalid UTF-8");
  }
}

export function base64Encode(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard, padded base64. */
export function base64Decode(text: string): Uint8Array {
  if (!BASE64.test(text)) throw new EncodingError("invalid base64");
  const bytes = Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
  if (base64Encode(bytes) !== text) throw new EncodingError("non-canonical base64");
  return bytes;
}

export const base64UrlEncode = (bytes: Uint8Array): string =>
  base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Unpadded base64url (RFC 7515 §2). */
export function base64UrlDecode(text: string): Uint8Array {
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw new EncodingError("invalid base64url");
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  if (base64UrlEncode(bytes) !== text) throw new EncodingError("non-canonical base64url");
  return bytes;
}

export const hexEncode = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Unambiguous encoding of a list of strings: each part as a 4-byte big-endian byte length
 * followed by its UTF-8 bytes. ["ab","c"] and ["a","bc"] never encode alike.
 */
export function lengthPrefixed(parts: readonly string[]): Uint8Array {
  // Written in place into one buffer (runs for every encrypted message).
  const encoded = parts.map(utf8Encode);
  let size = 0;
  for (const bytes of encoded) size += 4 + bytes.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const bytes of encoded) {
    view.setUint32(offset, bytes.length);
    out.set(bytes, offset + 4);
    offset += 4 + bytes.length;
  }
  return out;
}
