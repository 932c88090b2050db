import { describe, expect, it } from "vitest";
import { decryptField, decryptMessage, encryptField, encryptMessage, IV_BYTES, messageAad, type MessageAad } from "./aead";
import { lengthPrefixed } from "./encoding";
import { DecryptError } from "./errors";
import { generateDataKey } from "./keyring";

const aad: MessageAad = {
  userId: "11111111-1111-4111-8111-111111111111",
  conversationId: "22222222-2222-4222-8222-222222222222",
  messageId: "33333333-3333-4333-8333-333333333333",
  role: "user",
};

const flip = (bytes: Uint8Array, index: number) => {
  const copy = bytes.slice();
  copy[index] = copy[index]! ^ 0x01;
  return copy;
};

describe("message encryption", () => {
  it("round-trips unicode text with a fresh 96-bit IV each time", async () => {
    const { key } = await generateDataKey();
    const text = "Bonjour 👋 — l'été à Paris\n\u0000fin";
    const a = await encryptMessage(key, text, aad);
    const b = await encryptMessage(key, text, aad);
    expect(a.iv).toHaveLength(IV_BYTES);
    expect(a.iv).not.toEqual(b.iv);
    expect(a.ciphertext).not.toEqual(b.ciphertext);
    expect(a.ciphertext).toHaveLength(new TextEncoder().encode(text).length + 16);
    expect(await decryptMessage(key, a, aad)).toBe(text);
    expect(await decryptMessage(key, await encryptMessage(key, "", aad), aad)).toBe("");
    expect(await decryptMessage(key, await encryptMessage(key, "\uFEFFbom kept", aad), aad)).toBe("\uFEFFbom kept");
  });

  it("uses the injected randomness for the IV", async () => {
    const { key } = await generateDataKey();
    const sealed = await encryptMessage(key, "x", aad, (n) => new Uint8Array(n).fill(7));
    expect(sealed.iv).toEqual(new Uint8Array(12).fill(7));
    await expect(encryptMessage(key, "x", aad, (n) => new Uint8Array(n - 1))).rejects.toThrow(RangeError);
  });

  it("fails with DecryptError when the ciphertext, tag or IV is tampered with", async () => {
    const { key } = await generateDataKey();
    const sealed = await encryptMessage(key, "secret", aad);
    const last = sealed.ciphertext.length - 1;
    for (const bad of [
      { ...sealed, ciphertext: flip(sealed.ciphertext, 0) },
      { ...sealed, ciphertext: flip(sealed.ciphertext, last) },
      { ...sealed, ciphertext: sealed.ciphertext.slice(0, last) },
      { ...sealed, ciphertext: new Uint8Array(0) },
      { ...sealed, iv: flip(sealed.iv, 5) },
      { ...sealed, iv: sealed.iv.slice(0, 11) },
    ]) {
      await expect(decryptMessage(key, bad, aad)).rejects.toBeInstanceOf(DecryptError);
    }
  });

  it("fails when any AAD field differs (row, conversation, user or role swap)", async () => {
    const { key } = await generateDataKey();
    const sealed = await encryptMessage(key, "secret", aad);
    for (const other of [
      { ...aad, messageId: "33333333-3333-4333-8333-333333333334" },
      { ...aad, conversationId: "22222222-2222-4222-8222-222222222223" },
      { ...aad, userId: "11111111-1111-4111-8111-111111111112" },
      { ...aad, role: "assistant" as const },
    ]) {
      await expect(decryptMessage(key, sealed, other)).rejects.toBeInstanceOf(DecryptError);
    }
  });

  it("fails under another user's data key", async () => {
    const mine = await generateDataKey();
    const theirs = await generateDataKey();
    const sealed = await encryptMessage(mine.key, "secret", aad);
    await expect(decryptMessage(theirs.key, sealed, aad)).rejects.toBeInstanceOf(DecryptError);
  });

  it("encodes AAD unambiguously (length-prefixed, purpose and version first)", () => {
    expect(lengthPrefixed(["ab", "c"])).not.toEqual(lengthPrefixed(["a", "bc"]));
    expect(lengthPrefixed(["é"])).toEqual(new Uint8Array([0, 0, 0, 2, 0xc3, 0xa9]));
    const shifted = { ...aad, userId: aad.userId + aad.conversationId.slice(0, 1), conversationId: aad.conversationId.slice(1) };
    expect(messageAad(shifted)).not.toEqual(messageAad(aad));
    const text = new TextDecoder().decode(messageAad(aad));
    expect(text.indexOf("unialist")).toBeLessThan(text.indexOf("message"));
    expect(text).toContain("v1");
  });
});

describe("field encryption", () => {
  const parts = ["conversation-title", aad.userId, aad.conversationId];

  it("round-trips and binds to its AAD parts", async () => {
    const { key } = await generateDataKey();
    const sealed = await encryptField(key, "Mon titre", parts);
    expect(await decryptField(key, sealed, parts)).toBe("Mon titre");
    await expect(decryptField(key, sealed, [...parts.slice(0, 2), "other"])).rejects.toBeInstanceOf(DecryptError);
    await expect(decryptField(key, sealed, parts.slice(0, 2))).rejects.toBeInstanceOf(DecryptError);
    await expect(decryptField(key, { ...sealed, ciphertext: flip(sealed.ciphertext, 2) }, parts)).rejects.toBeInstanceOf(DecryptError);
  });

  it("never decrypts a field ciphertext as a message or the reverse", async () => {
    const { key } = await generateDataKey();
    const msgParts = [aad.userId, aad.conversationId, aad.messageId, aad.role];
    const field = await encryptField(key, "x", ["message", "v1", ...msgParts]);
    await expect(decryptMessage(key, field, aad)).rejects.toBeInstanceOf(DecryptError);
    const message = await encryptMessage(key, "x", aad);
    await expect(decryptField(key, message, ["message", "v1", ...msgParts])).rejects.toBeInstanceOf(DecryptError);
  });
});
