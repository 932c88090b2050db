/**
 * AES-256-GCM for user content. Every ciphertext is bound, through its additional
 * authenticated data (AAD), to where it belongs: a message to its user, conversation,
 * message id and role. A ciphertext copied into any other row fails to decrypt.
 */
import { lengthPrefixed, utf8Decode, utf8Encode } from "./encoding";
import { DecryptError } from "./errors";
import { secureRandomBytes, type RandomBytes } from "./util";

export const IV_BYTES = 12;
const AAD_DOMAIN = "unialist";
const AAD_VERSION = "v1";

export interface MessageAad {
  userId: string;
  conversationId: string;
  messageId: string;
  role: "user" | "assistant";
}

export interface Sealed {
  ciphertext: Uint8Array;
  iv: Uint8Array;
}

/** AAD of a message: purpose and version first, then the fields in a fixed order. */
export const messageAad = (a: MessageAad): Uint8Array =>
  lengthPrefixed([AAD_DOMAIN, "message", AAD_VERSION, a.userId, a.conversationId, a.messageId, a.role]);

/** AAD of any other field; a distinct purpose, so message and field ciphertexts never mix. */
export const fieldAad = (parts: readonly string[]): Uint8Array =>
  lengthPrefixed([AAD_DOMAIN, "field", AAD_VERSION, ...parts]);

async function seal(key: CryptoKey, plaintext: string, aad: Uint8Array, randomBytes: RandomBytes): Promise<Sealed> {
  const iv = randomBytes(IV_BYTES);
  if (iv.length !== IV_BYTES) throw new RangeError("IV source returned the wrong length");
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, utf8Encode(plaintext));
  return { ciphertext: new Uint8Array(ciphertext), iv };
}

async function open(key: CryptoKey, sealed: Sealed, aad: Uint8Array): Promise<string> {
  // A 16-byte tag is the minimum; a 12-byte IV is the only one we ever write.
  if (sealed.iv.length !== IV_BYTES || sealed.ciphertext.length < 16) throw new DecryptError();
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv, additionalData: aad }, key, sealed.ciphertext);
  } catch {
    throw new DecryptError();
  }
  try {
    return utf8Decode(new Uint8Array(plain));
  } catch {
    throw new DecryptError("decrypted bytes are not UTF-8");
  }
}

export const encryptMessage = (dataKey: CryptoKey, plaintext: string, aad: MessageAad, randomBytes = secureRandomBytes) =>
  seal(dataKey, plaintext, messageAad(aad), randomBytes);

/** Throws `DecryptError` when the key, ciphertext, IV or any AAD field does not match. */
export const decryptMessage = (dataKey: CryptoKey, sealed: Sealed, aad: MessageAad) =>
  open(dataKey, sealed, messageAad(aad));

/** E.g. a conversation title: `encryptField(key, title, ["conversation-title", userId, conversationId])`. */
export const encryptField = (dataKey: CryptoKey, plaintext: string, aadParts: readonly string[], randomBytes = secureRandomBytes) =>
  seal(dataKey, plaintext, fieldAad(aadParts), randomBytes);

export const decryptField = (dataKey: CryptoKey, sealed: Sealed, aadParts: readonly string[]) =>
  open(dataKey, sealed, fieldAad(aadParts));
