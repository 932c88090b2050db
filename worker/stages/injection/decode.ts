/**
 * Finds encoded runs (base64, hex, \xNN, \uNNNN, %NN, numeric entities, Unicode tag and
 * variation-selector smuggling) and decodes the ones that turn out to be readable text,
 * so that the decoded text can be scored like any other. Bounded: at most `candidates`
 * runs and `chars` characters decoded per top-level call, shared across recursion.
 * Global regexes here are only used through matchAll()/replace(), which do not share state
 * between calls.
 */

import type { Analysis } from "./normalize";

export interface DecodeBudget {
  candidates: number;
  chars: number;
}

export const newBudget = (): DecodeBudget => ({ candidates: 16, chars: 8192 });

const TAG_RUN = /[\u{E0020}-\u{E007E}]{4,}/gu;
const VS_RUN = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]{8,}/gu;
const X_ESCAPES = /(?:\\x[0-9a-fA-F]{2}){4,}/g;
const U_ESCAPES = /(?:\\u[0-9a-fA-F]{4}){4,}/g;
const PERCENT = /(?:%[0-9a-fA-F]{2}){4,}/g;
const ENTITIES = /(?:&#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6});){4,}/g;
/** 16+ bytes of hex, optionally "0x"-prefixed and separated by one space, comma or colon. */
const HEX_RUN = /(?:0x)?[0-9a-fA-F]{2}(?:(?:[ ,:]|, )?(?:0x)?[0-9a-fA-F]{2}){15,}/g;

const HAS_LOWER = /[a-z]/;
const HAS_UPPER = /[A-Z]/;
const ALL_HEX = /^[0-9a-fA-F]+$/;
const READABLE = /[\p{L}\p{N}\p{P}\p{S}\p{Zs}\n\t]/gu;
const THREE_LETTERS = /\p{L}{3}/u;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function bytesToText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Mostly letters, digits, punctuation and spaces: what an instruction looks like. */
function isReadable(s: string): boolean {
  if (s.length < 6 || !THREE_LETTERS.test(s)) return false;
  const unreadable = s.replace(READABLE, "").length;
  return unreadable / s.length <= 0.1;
}

function hexPairsToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function decodeBase64(run: string): string | null {
  let s = run.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (s.length % 4 === 1) s = s.slice(0, -1);
  while (s.length % 4 !== 0) s += "=";
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytesToText(bytes);
}

interface Decoder {
  re: RegExp;
  decode(run: string): string | null;
  /** Cheap whole-text test before running `re` at all. */
  present(text: string, hexRun: boolean): boolean;
}

const DECODERS: readonly Decoder[] = [
  { re: X_ESCAPES, present: (t) => t.includes("\\x"), decode: (r) => bytesToText(hexPairsToBytes(r.replace(/\\x/g, ""))) },
  {
    re: U_ESCAPES,
    present: (t) => t.includes("\\u"),
    decode: (r) => r.replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
  },
  { re: PERCENT, present: (t) => t.includes("%"), decode: (r) => bytesToText(hexPairsToBytes(r.replace(/%/g, ""))) },
  {
    re: ENTITIES,
    present: (t) => t.includes("&#"),
    decode: (r) =>
      r.replace(/&#([xX]?)([0-9a-fA-F]+);/g, (_m, x: string, n: string) => {
        const cp = parseInt(n, x ? 16 : 10);
        return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
      }),
  },
  { re: HEX_RUN, present: (_t, hexRun) => hexRun, decode: (r) => bytesToText(hexPairsToBytes(r.replace(/0x|[ ,:]/g, ""))) },
];

/**
 * Readable texts hidden in `original` (invisible smuggling) or `rawCase` (encodings).
 * The candidates' locations come from the normalizer's single pass over the text (`rv`).
 */
export function extractPayloads(original: string, rv: Analysis, budget: DecodeBudget): string[] {
  const { rawCase } = rv;
  const found: string[] = [];
  const take = (run: string, decode: (r: string) => string | null) => {
    if (budget.candidates <= 0 || budget.chars <= 0) return;
    // Too long for what is left: decode the beginning (an instruction is rarely at the end).
    if (run.length > budget.chars) run = run.slice(0, budget.chars);
    budget.candidates--;
    budget.chars -= run.length;
    const text = decode(run);
    if (text && isReadable(text)) found.push(text);
  };

  if (rv.hasTags) {
    for (const m of original.matchAll(TAG_RUN)) {
      take(m[0], (r) => String.fromCharCode(...[...r].map((c) => c.codePointAt(0)! - 0xe0000)));
    }
  }
  if (rv.variationSelectorRun) {
    for (const m of original.matchAll(VS_RUN)) {
      take(m[0], (r) =>
        bytesToText(
          Uint8Array.from([...r].map((c) => {
            const cp = c.codePointAt(0)!;
            return cp <= 0xfe0f ? cp - 0xfe00 : cp - 0xe0100 + 16;
          })),
        ),
      );
    }
  }
  for (const d of DECODERS) {
    if (budget.candidates <= 0) break;
    if (!d.present(rawCase, rv.hexRun)) continue;
    for (const m of rawCase.matchAll(d.re)) {
      if (budget.candidates <= 0) break;
      take(m[0], d.decode);
    }
  }
  for (const run of rv.base64Runs) {
    // Base64 of text mixes cases; words, slugs, hashes and hex do not.
    if (HAS_LOWER.test(run) && HAS_UPPER.test(run) && !ALL_HEX.test(run)) take(run, decodeBase64);
  }
  return found;
}
