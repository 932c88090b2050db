/**
 * Text views for rule matching. Each view undoes one family of obfuscation so that rules
 * can be written once, in plain lowercase ASCII:
 *   rawCase  NFKC, invisibles and controls removed, case kept (for "DAN", base64)
 *   raw      rawCase folded: lowercase, no diacritics, confusables mapped, punctuation kept
 *   words    raw with every run of non [a-z0-9] turned into one space ("ignore...all" -> "ignore all")
 *   squashed words without spaces ("i g n o r e" -> "ignore")
 *   leet     words with digits/symbols read as letters and "l" folded into "i"
 *
 * Built by hand-written loops, not regex replace(): a global replace with thousands of
 * matches costs ~0.5 ms on 10,000 characters, the loops ~0.05 ms. Non-ASCII characters are
 * folded one code point at a time through a bounded cache (folding needs no context:
 * combining marks are dropped anyway).
 */

/**
 * Look-alikes seen in obfuscated prompts: Cyrillic, Greek, Armenian, IPA / small capitals
 * and Latin letters with strokes that NFKD does not decompose. Applied before lowercasing
 * so that upper- and lowercase forms map to what they look like.
 */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic uppercase
  А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", Х: "X", У: "Y",
  Ѕ: "S", І: "I", Ј: "J", Ԛ: "Q", Ԝ: "W", Ү: "Y", Ӏ: "I", Ԍ: "G", Ԁ: "D",
  // Cyrillic lowercase
  а: "a", в: "b", г: "r", е: "e", к: "k", м: "m", н: "h", о: "o", п: "n", р: "p", с: "c", т: "t",
  у: "y", х: "x", ѕ: "s", і: "i", ј: "j", ԁ: "d", һ: "h", ԛ: "q", ԝ: "w", ӏ: "l", ү: "y", ь: "b",
  ҽ: "e", ԍ: "g", ɡ: "g",
  // Greek uppercase
  Α: "A", Β: "B", Ε: "E", Ζ: "Z", Η: "H", Ι: "I", Κ: "K", Μ: "M", Ν: "N", Ο: "O", Ρ: "P", Τ: "T",
  Υ: "Y", Χ: "X",
  // Greek lowercase
  α: "a", β: "b", γ: "y", ε: "e", ζ: "z", η: "n", ι: "i", κ: "k", ν: "v", ο: "o", ρ: "p", τ: "t",
  υ: "u", χ: "x", ω: "w", ϲ: "c", ϳ: "j",
  // Armenian
  օ: "o", ս: "u", հ: "h", ո: "n", ց: "g", ք: "p", Տ: "S", Օ: "O",
  // IPA and small capitals
  ɑ: "a", ɩ: "i", ɪ: "i", ʟ: "l", ᴀ: "a", ʙ: "b", ᴄ: "c", ᴅ: "d", ᴇ: "e", ɢ: "g", ʜ: "h", ᴊ: "j",
  ᴋ: "k", ᴍ: "m", ɴ: "n", ᴏ: "o", ᴘ: "p", ʀ: "r", ꜱ: "s", ᴛ: "t", ᴜ: "u", ᴠ: "v", ᴡ: "w", ʏ: "y",
  ᴢ: "z",
  // Latin letters NFKD keeps whole
  ı: "i", ȷ: "j", ł: "l", Ł: "L", ø: "o", Ø: "O", đ: "d", Đ: "D", ħ: "h", ŧ: "t", ß: "ss", æ: "ae",
  Æ: "AE", œ: "oe", Œ: "OE", ƚ: "l", ɫ: "l",
  // Blank "letters" used as spaces that are not spaces
  "\u3164": " ", "\uffa0": " ", "\u115f": " ", "\u1160": " ",
};
// Regional indicators (🇮🇬…) and negative circled / squared letters (🅘🅖…, 🅸🅶…) have no
// NFKC decomposition but read as letters.
for (let i = 0; i < 26; i++) {
  const letter = String.fromCharCode(65 + i);
  for (const base of [0x1f1e6, 0x1f150, 0x1f170]) CONFUSABLES[String.fromCodePoint(base + i)] = letter;
}

/** Format characters (zero-width, bidi, tags, soft hyphen, BOM) and C1 controls. */
const INVISIBLE_CHAR = /^[\p{Cf}\u180e\u17b4\u17b5\x80-\x9f]$/u;
const MARKS = /\p{M}+/gu;

const mapConfusables = (s: string) => {
  let out = "";
  for (const ch of s) out += CONFUSABLES[ch] ?? ch;
  return out;
};

interface Folded {
  /** NFKC form ("" for invisible characters). */
  rawCase: string;
  /** Lowercase, no diacritics, confusables mapped ("" for invisible characters). */
  folded: string;
}

/** Bounded: cleared when full, so adversarial input cannot grow it; results never depend on it. */
const FOLD_CACHE = new Map<number, Folded>();
const FOLD_CACHE_MAX = 4096;

function foldCodePoint(cp: number): Folded {
  let f = FOLD_CACHE.get(cp);
  if (f) return f;
  const ch = String.fromCodePoint(cp);
  if (INVISIBLE_CHAR.test(ch)) f = { rawCase: "", folded: "" };
  else {
    const rawCase = ch.normalize("NFKC");
    const folded = mapConfusables(mapConfusables(rawCase).toLowerCase().normalize("NFD").replace(MARKS, ""));
    f = { rawCase, folded };
  }
  if (FOLD_CACHE.size >= FOLD_CACHE_MAX) FOLD_CACHE.clear();
  FOLD_CACHE.set(cp, f);
  return f;
}

const isAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);

/** Bytes to string; only ever given ASCII, which UTF-8 decodes as is (and fast). */
const ASCII = new TextDecoder("utf-8");
const asciiString = (bytes: Uint8Array) => ASCII.decode(bytes);

export interface RawViews {
  rawCase: string;
  raw: string;
  /** A zero-width / format character was removed between two non-space characters. */
  hiddenInWord: boolean;
  /** A Cyrillic or Greek letter touches an ASCII letter ("іgnore"). */
  mixedScript: boolean;
  /** Unicode tag characters (U+E0000 block) are present: possible ASCII smuggling. */
  hasTags: boolean;
  /** Variation selectors are present: possible byte smuggling. */
  hasVariationSelectors: boolean;
  /** Runs of base64 alphabet characters, 16 or more long, as found in the text (at most 16). */
  base64Runs: string[];
  /** 32+ hex digits in a row, possibly separated by single spaces, commas or colons. */
  hexRun: boolean;
}

const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isHexDigit = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isB64 = (c: number) => isAsciiLetter(c) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 95 || c === 45;
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || Number.isNaN(c);
const MIN_B64 = 16;
const MAX_B64_RUNS = 16;
const MIN_HEX_DIGITS = 32;

/**
 * One pass over the text: NFKC + invisibles removed (rawCase), its folded form (raw), and
 * the cheap facts later stages need, so that nothing else has to scan the whole text.
 * ASCII runs are copied as slices; only non-ASCII characters go through the per-character
 * fold. No closures in the loop: captured mutable variables make V8 ~3x slower here.
 */
export function toRawViews(text: string): RawViews {
  let rawCase = "";
  let raw = "";
  let runStart = 0;
  let hiddenInWord = false;
  let mixedScript = false;
  let hasTags = false;
  let hasVariationSelectors = false;
  const base64Runs: string[] = [];
  let b64Start = -1;
  let hexDigits = 0;
  let hexRun = false;
  let prevSeparator = false;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : -1;
    // Hex runs: digits, single separators between them, "0x" prefixes.
    if (isHexDigit(c)) {
      hexDigits++;
      prevSeparator = false;
      if (hexDigits >= MIN_HEX_DIGITS) hexRun = true;
    } else if ((c === 32 || c === 44 || c === 58 || c === 120) && !prevSeparator && hexDigits > 0) prevSeparator = true;
    else {
      hexDigits = 0;
      prevSeparator = false;
    }
    if (c >= 0 && isB64(c)) {
      if (b64Start < 0) b64Start = i;
      continue;
    }
    if (b64Start >= 0) {
      if (i - b64Start >= MIN_B64 && base64Runs.length < MAX_B64_RUNS) {
        let stop = i;
        while (stop - i < 2 && text.charCodeAt(stop) === 61) stop++; // "=" padding
        base64Runs.push(text.slice(b64Start, stop));
      }
      b64Start = -1;
    }
    if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13 || c < 0) continue;
    // Something to drop or fold: flush the pending ASCII run first.
    if (i > runStart) {
      const run = text.slice(runStart, i);
      rawCase += run;
      raw += run.toLowerCase();
    }
    if (c < 0x80) {
      runStart = i + 1; // C0 control or DEL: dropped
      continue;
    }
    const at = i;
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    const f = foldCodePoint(cp);
    if (f.rawCase === "") {
      if (!hiddenInWord && !isSpace(text.charCodeAt(at - 1)) && !isSpace(text.charCodeAt(i + 1))) hiddenInWord = true;
      if (cp >= 0xe0000 && cp <= 0xe007f) hasTags = true;
    } else if (cp >= 0x370 && cp <= 0x4ff) {
      if (!mixedScript && (isAsciiLetter(text.charCodeAt(at - 1)) || isAsciiLetter(text.charCodeAt(i + 1)))) mixedScript = true;
    } else if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) hasVariationSelectors = true;
    rawCase += f.rawCase;
    raw += f.folded;
    runStart = i + 1;
  }
  const facts = { hiddenInWord, mixedScript, hasTags, hasVariationSelectors, base64Runs, hexRun };
  if (runStart === 0) return { rawCase: text, raw: text.toLowerCase(), ...facts };
  if (n > runStart) {
    const run = text.slice(runStart, n);
    rawCase += run;
    raw += run.toLowerCase();
  }
  return { rawCase, raw, ...facts };
}

export interface WordsView {
  /** Lowercase ASCII words separated by single spaces. */
  text: string;
  /** A leet digit or symbol touches a letter ("1gn0re", "@ll"): worth a leet reading. */
  leetHint: boolean;
  /** FNV-1a hash of each token, for trigger lookup without creating token strings. */
  hashes: Uint32Array;
  /** Five or more consecutive tokens of at most 2 characters ("i g n o r e", "ig.no.re.al.l"). */
  spaced: boolean;
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** The hash WordsView.hashes uses, for building trigger tables. */
export function hashToken(token: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/** Leet digits (and "l", so that "1" and "l" read the same) -> letter; 0 = none. ASCII-indexed. */
const LEET = new Uint8Array(128);
for (const [from, to] of Object.entries({ 0: "o", 1: "i", 3: "e", 4: "a", 5: "s", 6: "g", 7: "t", 8: "b", 9: "g", l: "i" })) {
  LEET[from.charCodeAt(0)] = to.charCodeAt(0);
}
/** Symbols read as letters when glued to a letter or digit: "!gnore", "@ll", "u$". */
const LEET_SYMBOL = new Uint8Array(128);
for (const [from, to] of Object.entries({ "@": "a", $: "s", "!": "i", "|": "i", "+": "t" })) {
  LEET_SYMBOL[from.charCodeAt(0)] = to.charCodeAt(0);
}
const leetOf = (c: number) => (c < 128 ? LEET[c]! : 0);
const symbolOf = (c: number) => (c < 128 ? LEET_SYMBOL[c]! : c === 0x20ac ? 101 : 0); // "€" -> e
/** "$" and "|" also count at the end of a word ("previou$"). */
const isTrailingSymbol = (c: number) => c === 36 || c === 124;

/**
 * Words view of a folded text. With `leet`, digits and glued symbols are read as letters
 * and "l" as "i" (rules are transformed the same way, see leetPatternSource).
 */
export function toWordsView(raw: string, leet = false): WordsView {
  const n = raw.length;
  const out = new Uint8Array(n);
  const hashes = new Uint32Array((n >> 1) + 1);
  let k = 0;
  let count = 0;
  let inWord = false;
  let h = FNV_OFFSET;
  let tokenLen = 0;
  let shortRun = 0;
  let spaced = false;
  let leetHint = false;
  for (let i = 0; i <= n; i++) {
    let c = i < n ? raw.charCodeAt(i) : 32;
    if (leet) {
      const l = leetOf(c);
      if (l !== 0) c = l;
      else {
        const s = symbolOf(c);
        if (s !== 0) {
          const next = raw.charCodeAt(i + 1);
          if (isAlnum(next) || symbolOf(next) !== 0 || (isTrailingSymbol(c) && isAlnum(raw.charCodeAt(i - 1)))) c = s;
        }
      }
    } else if (!leetHint && c !== 108 && c < 128) {
      // A leet digit touching a letter ("1gn0re"), or a symbol right before one ("@ll", "!gnore").
      const next = raw.charCodeAt(i + 1);
      if (LEET[c] !== 0) {
        const prev = raw.charCodeAt(i - 1);
        if ((prev >= 97 && prev <= 122) || (next >= 97 && next <= 122)) leetHint = true;
      } else if (LEET_SYMBOL[c] !== 0 && next >= 97 && next <= 122) leetHint = true;
    }
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (!inWord) {
        if (k > 0) out[k++] = 32;
        inWord = true;
        h = FNV_OFFSET;
        tokenLen = 0;
      }
      out[k++] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
      tokenLen++;
    } else if (inWord) {
      inWord = false;
      hashes[count++] = h >>> 0;
      if (tokenLen <= 2) {
        if (++shortRun >= 5) spaced = true;
      } else shortRun = 0;
    }
  }
  return { text: asciiString(out.subarray(0, k)), hashes: hashes.subarray(0, count), spaced, leetHint };
}

/**
 * The view rules run on: lowercase ASCII words separated by single spaces, with
 * diacritics, homoglyphs, zero-width characters and punctuation noise removed.
 * "Ｉgn\u200Bore…ALL   prévious" -> "ignore all previous".
 */
export function normalizeForMatching(text: string): string {
  return toWordsView(toRawViews(text).raw).text;
}

/** Applies to rule patterns and triggers what toWordsView(…, true) applies to text. */
export function leetPatternSource(source: string): string {
  return source.replace(/l/g, "i");
}

/** Words without their spaces (words views are ASCII). */
export function squash(words: string): string {
  const out = new Uint8Array(words.length);
  let k = 0;
  for (let i = 0; i < words.length; i++) {
    const c = words.charCodeAt(i);
    if (c !== 32) out[k++] = c;
  }
  return asciiString(out.subarray(0, k));
}

export function rot13(s: string): string {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c >= 97 && c <= 122 ? ((c - 97 + 13) % 26) + 97 : c;
  }
  return asciiString(out);
}

export function reverse(s: string): string {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[s.length - 1 - i] = s.charCodeAt(i);
  return asciiString(out);
}
