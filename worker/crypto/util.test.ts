import { describe, expect, it } from "vitest";
import {
  base64Decode, base64Encode, base64UrlDecode, base64UrlEncode, concatBytes, EncodingError, hexEncode, lengthPrefixed, utf8Decode,
} from "./encoding";
import { hmacSha256Hex, randomToken, sha256Hex, timingSafeEqual } from "./util";

describe("randomToken", () => {
  it("is base64url of the requested number of random bytes", () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomToken()).not.toBe(randomToken());
    expect(randomToken(3, (n) => new Uint8Array(n).fill(0xff))).toBe("____");
    expect(() => randomToken(0)).toThrow(RangeError);
  });
});

describe("hashing", () => {
  it("sha256Hex matches known vectors", async () => {
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(await sha256Hex("abc"));
  });

  it("hmacSha256Hex matches RFC 4231 test case 2", async () => {
    expect(await hmacSha256Hex("Jefe", "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
});

describe("timingSafeEqual", () => {
  it("compares strings and bytes, including different lengths", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("abc\u0000", "abc")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("", "a")).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(timingSafeEqual("é", new Uint8Array([0xc3, 0xa9]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array(256), new Uint8Array(256 + 256))).toBe(false);
  });
});

describe("encodings", () => {
  const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255]);

  it("round-trips base64 and base64url", () => {
    for (let n = 0; n < 8; n++) {
      const b = bytes.slice(0, n);
      expect(base64Decode(base64Encode(b))).toEqual(b);
      expect(base64UrlDecode(base64UrlEncode(b))).toEqual(b);
    }
    expect(base64UrlEncode(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(base64Encode(new Uint8Array([0xfb, 0xff]))).toBe("+/8=");
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 131 + 7) & 255);
    expect(base64UrlDecode(base64UrlEncode(big))).toEqual(big);
  });

  it("rejects invalid and non-canonical input", () => {
    for (const bad of ["a", "ab=", "+/8", "-_8=", "ab!c", "AB==\n"]) expect(() => base64Decode(bad), bad).toThrow(EncodingError);
    for (const bad of ["a", "+/8", "-_8=", "ab c", "-_9"]) expect(() => base64UrlDecode(bad), bad).toThrow(EncodingError);
    expect(() => base64Decode("+/9=")).toThrow(EncodingError); // non-zero trailing bits
    expect(() => utf8Decode(new Uint8Array([0xc3]))).toThrow(EncodingError);
  });

  it("hex, concat and length-prefixing", () => {
    expect(hexEncode(new Uint8Array([0, 15, 255]))).toBe("000fff");
    expect(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(lengthPrefixed([])).toEqual(new Uint8Array(0));
    expect(lengthPrefixed(["", "a"])).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 0x61]));
  });
});
