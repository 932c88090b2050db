/** Typed failures of the crypto helpers. Messages never contain key material or plaintext. */

/** Authentication failed: wrong key, tampered ciphertext/IV, or AAD of another row. */
export class DecryptError extends Error {
  constructor(message = "decryption failed") {
    super(message);
    this.name = "DecryptError";
  }
}

/** A wrapped key names a key-encryption key that is not (or no longer) in the ring. */
export class UnknownKeyError extends Error {
  constructor(readonly kekId: string) {
    super(`unknown key-encryption key id: ${kekId}`);
    this.name = "UnknownKeyError";
  }
}
