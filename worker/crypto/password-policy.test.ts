import { describe, expect, it } from "vitest";
import { commonPasswords } from "./common-passwords";
import { checkPasswordPolicy } from "./password-policy";

const email = "Jean.Dupont+chat@Example.fr";

describe("checkPasswordPolicy", () => {
  it("accepts long, unrelated passwords", () => {
    for (const ok of ["correct horse battery staple", "Ma tante Ursule fait du vélo!", "vK9#pL2$qR7&xZ", "9f8e7d-x2-lune-quai-17"]) {
      expect(checkPasswordPolicy(ok, email), ok).toEqual([]);
    }
  });

  it("requires at least 12 characters (code points) and at most 256", () => {
    expect(checkPasswordPolicy("Xk9#pL2$qR7", email)).toContain("too_short");
    expect(checkPasswordPolicy("Xk9#pL2$qR7w", email)).toEqual([]);
    expect(checkPasswordPolicy("😀😀😀😀😀😀😀😀😀😀😀", email)).toContain("too_short");
    expect(checkPasswordPolicy("Xk9#pL2$qR7w".repeat(22), email)).toContain("too_long");
  });

  it("refuses the email or its local part, case-insensitively", () => {
    expect(checkPasswordPolicy("jean.dupont+chat@example.fr", email)).toContain("contains_email");
    expect(checkPasswordPolicy("JEAN.DUPONT+CHAT", email)).toContain("contains_email");
    expect(checkPasswordPolicy("my-Jean.Dupont-is-great", email)).toContain("contains_email");
    expect(checkPasswordPolicy("JeanDupont-2024-ok", email)).toContain("contains_email");
    expect(checkPasswordPolicy("al", "al@example.fr")).toContain("contains_email");
    // A very short local part is only refused as the whole password, not as a substring.
    expect(checkPasswordPolicy("royal blue tea kettle", "al@example.fr")).toEqual([]);
  });

  it("refuses common passwords, including French ones and simple variations", () => {
    for (const bad of ["motdepasse", "azerty123456", "soleil", "123456789012", "password1234", "AZERTY123456", "Soleil2024!!",
      "P@ssw0rd1234", "m0tdep@sse2024", "mot-de-passe-2024", "123456soleil", "jetaimemonamour", "Marseille13013"]) {
      expect(checkPasswordPolicy(bad, email), bad).toContain("common");
    }
  });

  it("refuses repetitive, periodic and sequential passwords", () => {
    for (const bad of ["aaaaaaaaaaaa", "abababababab", "abcabcabcabc", "soleilsoleil", "abcdefghijklmnop", "123456789012", "0987654321098",
      "qwertyuiopasdf", "azertyuiopqsdf", "mlkjhgfdsqpoiu", "aaaabbbbcccc"]) {
      expect(checkPasswordPolicy(bad, email), bad).toContain("repetitive");
    }
  });

  it("embeds a list of about a thousand or more lower-case entries", () => {
    const list = commonPasswords();
    expect(list.size).toBeGreaterThanOrEqual(1000);
    for (const word of ["motdepasse", "azerty123456", "soleil", "123456789012", "password1234", "123456", "qwerty"]) {
      expect(list.has(word), word).toBe(true);
    }
    expect([...list].every((w) => w === w.toLowerCase())).toBe(true);
  });
});
