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

/** Growable UTF-16 buffer; strings are built once at the end. */
class Builder {
  buf: Uint16Array;
  len = 0;
  constructor(capacity: number) {
    this.buf = new Uint16Array(Math.max(16, capacity));
  }
  push(c: number): void {
    if (this.len === this.buf.length) {
      const bigger = new Uint16Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = c;
  }
  pushString(s: string): void {
    for (let i = 0; i < s.length; i++) this.push(s.charCodeAt(i));
  }
  toString(): string {
    let out = "";
    for (let i = 0; i < this.len; i += 4096) {
      out += String.fromCharCode.apply(null, this.buf.subarray(i, Math.min(i + 4096, this.len)) as unknown as number[]);
    }
    return out;
  }
}

const isAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);

/** NFKC + invisibles removed (rawCase) and its folded form (raw), in one pass. */
export function toRawViews(text: string): { rawCase: string; raw: string } {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x7f || (c < 0x20 && c !== 9 && c !== 10 && c !== 13)) {
      ascii = false;
      break;
    }
  }
  if (ascii) return { rawCase: text, raw: text.toLowerCase() };
  const rawCase = new Builder(text.length);
  const raw = new Builder(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if ((c < 0x20 && c !== 9 && c !== 10 && c !== 13) || c === 0x7f) continue; // controls
      rawCase.push(c);
      raw.push(c >= 65 && c <= 90 ? c + 32 : c);
      continue;
    }
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    const f = foldCodePoint(cp);
    rawCase.pushString(f.rawCase);
    raw.pushString(f.folded);
  }
  return { rawCase: rawCase.toString(), raw: raw.toString() };
}

export interface WordsView {
  /** Lowercase ASCII words separated by single spaces. */
  text: string;
  /** FNV-1a hash of each token, for trigger lookup without creating token strings. */
  hashes: Uint32Array;
  /** Five or more consecutive tokens of at most 3 characters ("i g n o r e", "ig.no.re"). */
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

const LEET: Record<number, number> = {
  48: 111, 49: 105, 51: 101, 52: 97, 53: 115, 54: 103, 55: 116, 56: 98, 57: 103, // 0 1 3 4 5 6 7 8 9
  108: 105, // l -> i (so that "1" and "l" read the same)
};
/** Symbols read as letters when glued to a letter or digit: "!gnore", "@ll", "u$". */
const LEET_SYMBOL: Record<number, number> = { 64: 97, 36: 115, 33: 105, 124: 105, 8364: 101, 43: 116 };
const TRAILING_SYMBOL = new Set([36, 124]); // "$", "|" also count at the end of a word

/**
 * Words view of a folded text. With `leet`, digits and glued symbols are read as letters
 * and "l" as "i" (rules are transformed the same way, see leetPatternSource).
 */
export function toWordsView(raw: string, leet = false): WordsView {
  const out = new Uint8Array(raw.length);
  const hashes = new Uint32Array((raw.length >> 1) + 1);
  let k = 0;
  let n = 0;
  let inWord = false;
  let h = FNV_OFFSET;
  let tokenLen = 0;
  let shortRun = 0;
  let spaced = false;
  const endToken = () => {
    hashes[n++] = h >>> 0;
    if (tokenLen <= 3) {
      if (++shortRun >= 5) spaced = true;
    } else shortRun = 0;
  };
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i);
    if (leet) {
      const l = LEET[c];
      if (l !== undefined) c = l;
      else {
        const s = LEET_SYMBOL[c];
        if (s !== undefined) {
          const next = raw.charCodeAt(i + 1);
          const prev = raw.charCodeAt(i - 1);
          if (isAlnum(next) || LEET_SYMBOL[next] !== undefined || (TRAILING_SYMBOL.has(c) && isAlnum(prev))) c = s;
        }
      }
    }
    if (isAlnum(c)) {
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
      endToken();
    }
  }
  if (inWord) endToken();
  let text = "";
  for (let i = 0; i < k; i += 4096) {
    text += String.fromCharCode.apply(null, out.subarray(i, Math.min(i + 4096, k)) as unknown as number[]);
  }
  return { text, hashes: hashes.subarray(0, n), spaced };
}

/**
 * The view rules run on: lowercase ASCII words separated by single spaces, with
 * diacritics, homoglyphs, zero-width characters and punctuation noise removed.
 * "Ｉgn\u200Bore…ALL   prévious" -> "ignore all previous".
 */
export function normalizeForMatching(text: string): string {
  return toWordsView(toRawViews(text).raw).text;
}

/** Cheap test for "letters and leet digits/symbols mixed inside a word". */
export const LEET_HINT = /[a-z][0134578@$|!][a-z0-9]|[0134578@$|!][a-z]{2}|[a-z]{2}[0134$]/;

/** Applies to rule patterns and triggers what toWordsView(…, true) applies to text. */
export function leetPatternSource(source: string): string {
  return source.replace(/l/g, "i");
}

export function squash(words: string): string {
  return words.split(" ").join("");
}

export function rot13(s: string): string {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c >= 97 && c <= 122 ? ((c - 97 + 13) % 26) + 97 : c;
  }
  let text = "";
  for (let i = 0; i < out.length; i += 4096) text += String.fromCharCode.apply(null, out.subarray(i, i + 4096) as unknown as number[]);
  return text;
}

export function reverse(s: string): string {
  // Squashed views are ASCII: no surrogate pairs to keep together.
  return s.split("").reverse().join("");
}
