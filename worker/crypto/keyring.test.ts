import { describe, expect, it } from "vitest";
import { decryptMessage, encryptMessage, type MessageAad } from "./aead";
import { DecryptError, UnknownKeyError } from "./errors";
import { currentKekId, generateDataKey, rewrapDataKey, unwrapDataKey, wrapDataKey, type KeyRing } from "./keyring";

const kek = (id: string, fill: number) => ({ id, key: new Uint8Array(32).fill(fill) });
const k1 = kek("k1", 1);
const k2 = kek("k2", 2);
const alice = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const bob = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const aad: MessageAad = { userId: alice, conversationId: "c1", messageId: "m1", role: "assistant" };

const flip = (bytes: Uint8Array, index: number) => {
  const copy = bytes.slice();
  copy[index] = copy[index]! ^ 0x80;
  return copy;
};

describe("envelope encryption", () => {
  it("wraps under the current KEK and unwraps to a non-extractable key that decrypts", async () => {
    const ring: KeyRing = [k1];
    const { raw, key } = await generateDataKey();
    expect(raw).toHaveLength(32);
    const wrapped = await wrapDataKey(ring, raw, alice);
    expect(wrapped.kekId).toBe("k1");
    expect(wrapped.wrapIv).toHaveLength(12);
    expect(wrapped.wrappedKey).toHaveLength(48);
    const sealed = await encryptMessage(key, "hello", aad);
    const unwrapped = await unwrapDataKey(ring, wrapped, alice);
    expect(unwrapped.extractable).toBe(false);
    expect(await decryptMessage(unwrapped, sealed, aad)).toBe("hello");
    await expect(crypto.subtle.exportKey("raw", unwrapped)).rejects.toThrow();
  });

  it("refuses a wrapped key moved to another user or tampered with", async () => {
    const ring: KeyRing = [k1];
    const wrapped = await wrapDataKey(ring, (await generateDataKey()).raw, alice);
    await expect(unwrapDataKey(ring, wrapped, bob)).rejects.toBeInstanceOf(DecryptError);
    await expect(unwrapDataKey(ring, { ...wrapped, wrappedKey: flip(wrapped.wrappedKey, 0) }, alice)).rejects.toBeInstanceOf(DecryptError);
    await expect(unwrapDataKey(ring, { ...wrapped, wrapIv: flip(wrapped.wrapIv, 11) }, alice)).rejects.toBeInstanceOf(DecryptError);
    await expect(unwrapDataKey(ring, { ...wrapped, wrapIv: wrapped.wrapIv.slice(1) }, alice)).rejects.toBeInstanceOf(DecryptError);
  });

  it("refuses a wrapped key relabelled with another KEK id of the ring", async () => {
    const ring: KeyRing = [k2, k1];
    const wrapped = await wrapDataKey(ring, (await generateDataKey()).raw, alice);
    await expect(unwrapDataKey(ring, { ...wrapped, kekId: "k1" }, alice)).rejects.toBeInstanceOf(DecryptError);
  });

  it("throws UnknownKeyError for a KEK id not in the ring", async () => {
    const wrapped = await wrapDataKey([k1], (await generateDataKey()).raw, alice);
    const err = await unwrapDataKey([k2], wrapped, alice).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownKeyError);
    expect((err as UnknownKeyError).kekId).toBe("k1");
    expect(String(err)).not.toContain("AQEB");
  });

  it("rotates: [k1] → [k2,k1] unwraps, re-wrap moves to k2, then [k2] alone unwraps", async () => {
    const { raw, key } = await generateDataKey();
    const sealed = await encryptMessage(key, "kept across rotation", aad);
    const old = await wrapDataKey([k1], raw, alice);

    const rotating: KeyRing = [k2, k1];
    expect(currentKekId(rotating)).toBe("k2");
    expect(await decryptMessage(await unwrapDataKey(rotating, old, alice), sealed, aad)).toBe("kept across rotation");

    const rewrapped = await rewrapDataKey(rotating, old, alice);
    expect(rewrapped?.kekId).toBe("k2");
    expect(rewrapped!.wrapIv).not.toEqual(old.wrapIv);
    expect(await rewrapDataKey(rotating, rewrapped!, alice)).toBeNull();

    const after: KeyRing = [k2];
    expect(await decryptMessage(await unwrapDataKey(after, rewrapped!, alice), sealed, aad)).toBe("kept across rotation");
  });

  it("dropping the old KEK before re-wrapping loses access (UnknownKeyError)", async () => {
    const old = await wrapDataKey([k1], (await generateDataKey()).raw, alice);
    await expect(unwrapDataKey([k2], old, alice)).rejects.toBeInstanceOf(UnknownKeyError);
    await expect(rewrapDataKey([k2], old, alice)).rejects.toBeInstanceOf(UnknownKeyError);
  });

  it("re-wrap refuses a record of another user", async () => {
    const old = await wrapDataKey([k1], (await generateDataKey()).raw, alice);
    await expect(rewrapDataKey([k2, k1], old, bob)).rejects.toBeInstanceOf(DecryptError);
  });

  it("destroying the wrapped key leaves nothing that decrypts with the ring alone", async () => {
    const ring: KeyRing = [k2, k1];
    let record: { wrappedKey: Uint8Array; wrapIv: Uint8Array; kekId: string } | null = null;
    let sealed;
    {
      const { raw, key } = await generateDataKey();
      record = await wrapDataKey(ring, raw, alice);
      sealed = await encryptMessage(key, "erase me", aad);
      raw.fill(0);
    }
    record = null; // the user_keys row is deleted
    expect(record).toBeNull();
    // Neither KEK of the ring is the data key, so no key material left decrypts the row.
    for (const { key } of ring) {
      const asDataKey = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]);
      await expect(decryptMessage(asDataKey, sealed, aad)).rejects.toBeInstanceOf(DecryptError);
    }
  });

  it("validates lengths and the ring", async () => {
    await expect(wrapDataKey([k1], new Uint8Array(16), alice)).rejects.toThrow(RangeError);
    await expect(wrapDataKey([], new Uint8Array(32), alice)).rejects.toThrow(RangeError);
    await expect(wrapDataKey([{ id: "short", key: new Uint8Array(16) }], new Uint8Array(32), alice)).rejects.toThrow(RangeError);
  });

  it("imports each ring's KEKs once (cached per ring object)", async () => {
    const ring: KeyRing = [kek("k3", 3)];
    const original = crypto.subtle.importKey.bind(crypto.subtle);
    let imports = 0;
    const spy = ((...args: Parameters<typeof original>) => {
      if (args[1] === ring[0]!.key) imports++;
      return original(...args);
    }) as typeof original;
    crypto.subtle.importKey = spy;
    try {
      const { raw } = await generateDataKey();
      const wrapped = await wrapDataKey(ring, raw, alice);
      await unwrapDataKey(ring, wrapped, alice);
      await wrapDataKey(ring, raw, bob);
      expect(imports).toBe(1);
    } finally {
      crypto.subtle.importKey = original;
    }
  });
});
