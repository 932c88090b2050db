/**
 * Deterministic data split shared by the data builder, `npm run train` and `npm run eval`.
 *
 * bucket = FNV-1a 32 of the normalized text (trimmed, lowercased, whitespace collapsed) mod 100:
 *   0-29  "test"  held back: never used for training, tuning or choosing thresholds
 *   30-44 "val"   threshold and hyper-parameter tuning
 *   45-99 "train" model fitting
 * Hashing the text (not an id) sends exact duplicates from two sources to the same split.
 */
import { mulberry32 } from "../support/prng";

/** The seeded PRNG of the generators. */
export const rng = mulberry32;
export type Split = "train" | "val" | "test";

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function normalizeForSplit(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, " ");
}

export function splitOf(text: string): Split {
  const b = fnv1a(normalizeForSplit(text)) % 100;
  return b < 30 ? "test" : b < 45 ? "val" : "train";
}

