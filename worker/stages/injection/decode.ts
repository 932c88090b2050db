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
const READABLE_CHAR = /^[\p{L}\p{N}\p{P}\p{S}\p{Zs}\n\t]$/u;
const THREE_LETTERS = /\p{L}{3}/u;
/** READABLE_CHAR for ASCII, as a table (decoded payloads are mostly ASCII). */
const READABLE_ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) READABLE_ASCII[c] = READABLE_CHAR.test(String.fromCharCode(c)) ? 1 : 0;
/** Hex digit value by ASCII code (-1 for others). */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) HEX_VALUE["0123456789abcdef".charCodeAt(c)] = HEX_VALUE["0123456789ABCDEF".charCodeAt(c)] = c;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function bytesToText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Mostly letters, digits, punctuation and spaces: what an instruction looks like. Counts
 * UTF-16 units of code points outside READABLE_CHAR (a loop: a global replace() over a few
 * thousand characters costs ~10x more).
 */
function isReadable(s: string): boolean {
  if (s.length < 6 || !THREE_LETTERS.test(s)) return false;
  let unreadable = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      if (READABLE_ASCII[c] === 0) unreadable++;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const size = cp > 0xffff ? 2 : 1;
    if (!READABLE_CHAR.test(String.fromCodePoint(cp))) unreadable += size;
    i += size - 1;
  }
  return unreadable / s.length <= 0.1;
}

/**
 * Bytes written as two hex digits every `stride` characters, the first pair at `offset`
 * ("%41%42": offset 1, stride 3). A run cut short by the budget loses its incomplete last byte.
 */
function hexBytes(run: string, offset: number, stride: number): Uint8Array {
  const out = new Uint8Array(Math.floor((run.length - offset + stride - 2) / stride));
  for (let i = 0, j = offset; i < out.length; i++, j += stride) {
    out[i] = (HEX_VALUE[run.charCodeAt(j)]! << 4) | HEX_VALUE[run.charCodeAt(j + 1)]!;
  }
  return out;
}

const hexPairsToBytes = (hex: string) => hexBytes(hex, 0, 2);

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

/**
 * "\\u0041\\u0042" -> "AB". The run matched U_ESCAPES, so it is whole escapes but for a last
 * one cut short by the budget, which stays as it is.
 */
function decodeUEscapes(run: string): string {
  const units = new Uint16Array(Math.floor(run.length / 6));
  for (let i = 0, j = 2; i < units.length; i++, j += 6) {
    let u = 0;
    for (let d = 0; d < 4; d++) u = (u << 4) | HEX_VALUE[run.charCodeAt(j + d)]!;
    units[i] = u;
  }
  return fromUnits(units) + run.slice(units.length * 6);
}

/**
 * "&#65;&#x42;" -> "AB"; entities out of the code point range read as nothing. The run matched
 * ENTITIES, so it is whole entities but for a last one cut short, which stays as it is.
 */
function decodeEntities(run: string): string {
  const cps: number[] = [];
  let i = 0;
  while (i < run.length) {
    const semi = run.indexOf(";", i);
    if (semi < 0) break;
    const hex = run.charCodeAt(i + 2) === 120 || run.charCodeAt(i + 2) === 88; // x X
    let cp = 0;
    for (let j = i + (hex ? 3 : 2); j < semi; j++) cp = cp * (hex ? 16 : 10) + HEX_VALUE[run.charCodeAt(j)]!;
    if (cp > 0 && cp <= 0x10ffff) cps.push(cp);
    i = semi + 1;
  }
  let out = "";
  for (let k = 0; k < cps.length; k += 4096) out += String.fromCodePoint(...cps.slice(k, k + 4096));
  return out + run.slice(i);
}

function fromUnits(units: Uint16Array): string {
  let out = "";
  for (let k = 0; k < units.length; k += 4096) out += String.fromCharCode(...units.subarray(k, k + 4096));
  return out;
}

interface Decoder {
  re: RegExp;
  decode(run: string): string | null;
  /** Cheap whole-text test before running `re` at all. */
  present(text: string, hexRun: boolean): boolean;
}

const DECODERS: readonly Decoder[] = [
  { re: X_ESCAPES, present: (t) => t.includes("\\x"), decode: (r) => bytesToText(hexBytes(r, 2, 4)) },
  {
    re: U_ESCAPES,
    present: (t) => t.includes("\\u"),
    decode: decodeUEscapes,
  },
  { re: PERCENT, present: (t) => t.includes("%"), decode: (r) => bytesToText(hexBytes(r, 1, 3)) },
  {
    re: ENTITIES,
    present: (t) => t.includes("&#"),
    decode: decodeEntities,
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
