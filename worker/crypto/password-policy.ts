/**
 * Password policy in the spirit of NIST SP 800-63B: length first, no composition rules,
 * but refuse passwords that are known, derived from the account's email, or trivial.
 */
import { commonPasswords } from "./common-passwords";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export type PasswordProblem = "too_short" | "too_long" | "contains_email" | "common" | "repetitive";

const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", $: "s", "!": "i" };

const stem = (s: string) => s.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, "");
const unleet = (s: string) => s.replace(/[0134578@$!]/g, (ch) => LEET[ch]!);

/** Forms of the password to look up: as typed, without separators, stem, de-leeted stem. */
function lookupForms(lower: string): string[] {
  const compact = lower.replace(/[\s._-]+/g, "");
  // Keep a leading "@" or "$" (leet for a, s); drop leading digits and any trailing non-letters.
  const leet = unleet(lower.replace(/[^\p{L}]+$/u, "").replace(/^[\d\s]+/, ""));
  return [lower, compact, stem(lower), stem(compact), unleet(stem(lower)), leet, stem(leet)];
}

/** Keyboard rows (QWERTY, AZERTY, QWERTZ) and alphabets, for runs like "qsdfghjklmwx". */
const RUNS = [
  "abcdefghijklmnopqrstuvwxyz",
  "0123456789",
  "qwertyuiopasdfghjklzxcvbnm",
  "azertyuiopqsdfghjklmwxcvbn",
  "qwertzuiopasdfghjklyxcvbnm",
  "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
];

function isTrivial(lower: string): boolean {
  const chars = [...lower];
  if (new Set(chars).size <= 3) return true;
  // Periodic: "abcabcabcabc", "soleilsoleil".
  for (let unit = 1; unit <= chars.length / 2; unit++) {
    if (chars.length % unit === 0 && chars.every((ch, i) => ch === chars[i % unit])) return true;
  }
  // A run along the alphabet, digits or a keyboard row, forwards or backwards, wrapping.
  return RUNS.some((run) => {
    const cyclic = run.repeat(Math.ceil(lower.length / run.length) + 1);
    const reversed = [...cyclic].reverse().join("");
    return cyclic.includes(lower) || reversed.includes(lower);
  });
}

/** Distinct, lower-cased identifiers from the email's local part worth refusing. */
function emailForms(email: string): { exact: string[]; contained: string[] } {
  const normalized = email.trim().toLowerCase();
  const local = normalized.split("@")[0] ?? "";
  const base = local.split("+")[0] ?? "";
  const compact = base.replace(/[^\p{L}\p{N}]/gu, "");
  const forms = [...new Set([local, base, compact].filter(Boolean))];
  // Containment only for forms long enough to be meaningful ("al" would refuse too much).
  return { exact: [normalized, ...forms].filter(Boolean), contained: forms.filter((f) => [...f].length >= 4) };
}

/** Problems with a new password; empty when acceptable. Lengths count Unicode code points. */
export function checkPasswordPolicy(password: string, email: string): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push("too_short");
  if (length > PASSWORD_MAX_LENGTH) problems.push("too_long");
  const lower = password.normalize("NFC").toLowerCase();
  const { exact, contained } = emailForms(email);
  if (exact.includes(lower) || contained.some((f) => lower.includes(f))) problems.push("contains_email");
  const list = commonPasswords();
  if (lookupForms(lower).some((form) => form.length > 0 && list.has(form))) problems.push("common");
  if (isTrivial(lower)) problems.push("repetitive");
  return problems;
}
