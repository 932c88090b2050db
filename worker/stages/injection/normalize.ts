/**
 * Text views for rule matching. Each view undoes one family of obfuscation so that rules
 * can be written once, in plain lowercase ASCII:
 *   rawCase  NFKC, invisibles and controls removed, case and punctuation kept
 *   words    lowercase, no diacritics, confusables mapped, every run of non [a-z0-9]
 *            turned into one space ("Ｉgn\u200Bore…ALL" -> "ignore all")
 *   squashed words without spaces ("i g n o r e" -> "ignore")
 *   leet     words with digits/symbols read as letters and "l" folded into "i"
 *
 * rawCase, words and a few facts for later steps come from ONE hand-written pass over the
 * text (analyze): a global regex replace() with thousands of matches costs ~0.5 ms on
 * 10,000 characters, a loop ~0.05 ms, and each extra full pass ~0.03 ms. Non-ASCII
 * characters are folded one code point at a time through a bounded cache (folding needs
 * no context: combining marks are dropped anyway).
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
  /** rawCase is the character itself: rawCase can keep it inside a copied run. */
  same: boolean;
  /** blockMask(rawCase). */
  blocks: number;
}

/**
 * Which 256-code-unit blocks of non-ASCII characters a string uses (bit u >> 8, units from
 * 0x1F00 up share bit 31). A substring whose mask has a bit the text's lacks cannot occur in it:
 * rawCase triggers in other scripts (Cyrillic) are ruled out without a search.
 */
export function blockMask(s: string): number {
  let m = 0;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u >= 0x80) m |= 1 << Math.min(31, u >> 8);
  }
  return m;
}

/**
 * Bounded caches (results never depend on them): code points below FOLD_TABLE_SIZE (Latin,
 * Greek, Cyrillic, punctuation, currency: nearly all non-ASCII text) in an array, one indexed
 * read; others in a map cleared when full, so adversarial input cannot grow it.
 */
const FOLD_TABLE_SIZE = 0x3000;
const FOLD_TABLE: Array<Folded | undefined> = new Array(FOLD_TABLE_SIZE);
const FOLD_CACHE = new Map<number, Folded>();
const FOLD_CACHE_MAX = 4096;

function foldCodePoint(cp: number): Folded {
  let f = cp < FOLD_TABLE_SIZE ? FOLD_TABLE[cp] : FOLD_CACHE.get(cp);
  if (f) return f;
  const ch = String.fromCodePoint(cp);
  if (INVISIBLE_CHAR.test(ch)) f = { rawCase: "", folded: "", same: false, blocks: 0 };
  else {
    const rawCase = ch.normalize("NFKC");
    const folded = mapConfusables(mapConfusables(rawCase).toLowerCase().normalize("NFD").replace(MARKS, ""));
    f = { rawCase, folded, same: rawCase === ch, blocks: blockMask(rawCase) };
  }
  if (cp < FOLD_TABLE_SIZE) FOLD_TABLE[cp] = f;
  else {
    if (FOLD_CACHE.size >= FOLD_CACHE_MAX) FOLD_CACHE.clear();
    FOLD_CACHE.set(cp, f);
  }
  return f;
}

/** Bytes to string; only ever given ASCII, which UTF-8 decodes as is (and fast). */
const ASCII = new TextDecoder("utf-8");
const asciiString = (bytes: Uint8Array) => ASCII.decode(bytes);

export interface WordsView {
  /** Lowercase ASCII words separated by single spaces. */
  text: string;
  /** FNV-1a hash of each token, for trigger lookup without creating token strings. */
  hashes: Uint32Array;
  /** Offset in `text` where each token starts (same indexing as `hashes`). */
  starts: Uint32Array;
  /** Five or more consecutive tokens of at most 2 characters ("i g n o r e", "ig.no.re.al.l"). */
  spaced: boolean;
  /** A leet digit or symbol touches a letter ("1gn0re", "@ll"): worth a leet reading. */
  leetHint: boolean;
}

export interface Analysis {
  /** NFKC, invisible characters and controls removed; case and punctuation kept. */
  rawCase: string;
  /** blockMask(rawCase), gathered during the pass. */
  rawBlocks: number;
  words: WordsView;
  /** A zero-width / format character was removed between two non-space characters. */
  hiddenInWord: boolean;
  /** A Cyrillic or Greek letter touches an ASCII letter ("іgnore"). */
  mixedScript: boolean;
  /** Unicode tag characters (U+E0000 block) are present: possible ASCII smuggling. */
  hasTags: boolean;
  /** 8+ variation selectors in a row: possible byte smuggling (emoji use one at a time). */
  variationSelectorRun: boolean;
  /** Runs of base64 alphabet characters, 16 or more long, as found in the text (at most 16). */
  base64Runs: string[];
  /** 32+ hex digits in a row, possibly separated by spaces, commas, colons or "0x". */
  hexRun: boolean;
  /**
   * rawCase lowercased, diacritics and confusables folded, punctuation kept: the leet
   * reading's input (see leetWords). Only kept when words.leetHint is set.
   */
  folded?: Uint16Array;
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
/** ASCII -> the [a-z0-9] character it reads as in the leet view (letters, digits, "l" -> "i"), 0 for others. */
const LEET_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) LEET_WORD[c] = LEET[c] || ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) ? c : 0);
/** Symbols read as letters when glued to a letter or digit: "!gnore", "@ll", "u$". */
const LEET_SYMBOL = new Uint8Array(128);
for (const [from, to] of Object.entries({ "@": "a", $: "s", "!": "i", "|": "i", "+": "t" })) {
  LEET_SYMBOL[from.charCodeAt(0)] = to.charCodeAt(0);
}
const symbolOf = (c: number) => (c < 128 ? LEET_SYMBOL[c]! : c === 0x20ac ? 101 : 0); // "€" -> e
/** "$" and "|" also count at the end of a word ("previou$"). */
const isTrailingSymbol = (c: number) => c === 36 || c === 124;
const isAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || Number.isNaN(c);
const MIN_B64 = 16;
const MAX_B64_RUNS = 16;
const MIN_HEX_DIGITS = 32;

/**
 * Character classes for the single pass, one table read per character (chained
 * comparisons and helper calls cost ~2x more in the hot loop). ASCII only; others are 0.
 */
const LOWER = 1;
const DIGIT = 2;
const LEET_DIGIT = 4; // digits read as letters in leetspeak (all but 2)
const LEET_SYM = 8; // @ $ ! | +
const B64 = 16; // base64 / base64url alphabet
const HEX = 32;
/** Indexed by any UTF-16 unit (0 above ASCII): no range check in the loop. */
const CLASS = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLASS[c] =
    (c >= 97 && c <= 122 ? LOWER : 0) |
    (c >= 48 && c <= 57 ? DIGIT : 0) |
    ("013456789".includes(ch) ? LEET_DIGIT : 0) |
    ("@$!|+".includes(ch) ? LEET_SYM : 0) |
    (/[A-Za-z0-9+/_-]/.test(ch) ? B64 : 0) |
    (/[0-9a-fA-F]/.test(ch) ? HEX : 0);
}

/** Printable ASCII, tab, newline and carriage return: kept as they are (other C0 and DEL are dropped). */
const KEEP = 64;
/** ASCII -> lowercase ASCII. */
const LOWERCASE = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  LOWERCASE[c] = c >= 65 && c <= 90 ? c + 32 : c;
  if ((c >= 0x20 && c < 0x7f) || c === 9 || c === 10 || c === 13) CLASS[c]! |= KEEP;
}

/**
 * Scratch buffers, reused across calls (analyze never re-enters itself): results are copied
 * out of them, so a 10,000-character text costs ~20 KB of allocation instead of ~120 KB of
 * zeroed typed arrays. Grown on demand, never shrunk.
 */
let OUT = new Uint8Array(1024);
let HASHES = new Uint32Array(1024);
let STARTS = new Uint32Array(1024);
let FOLD = new Uint16Array(1024);

function grow(size: number): void {
  const out = new Uint8Array(size);
  out.set(OUT);
  OUT = out;
  const hashes = new Uint32Array(size);
  hashes.set(HASHES);
  HASHES = hashes;
  const starts = new Uint32Array(size);
  starts.set(STARTS);
  STARTS = starts;
  const fold = new Uint16Array(size);
  fold.set(FOLD);
  FOLD = fold;
}

/**
 * The single pass. For each input character: track base64/hex runs on the original,
 * build rawCase (runs of kept characters copied as slices), and feed its folded form to the words
 * builder (and to the folded stream kept for the leet reading). ASCII characters take a
 * short path of table reads; non-ASCII ones are folded through the bounded cache, and those
 * NFKC keeps as they are (accented letters, Cyrillic) stay in the copied run.
 * No closures in the loop: captured mutable variables make V8 ~3x slower here.
 */
export function analyze(text: string): Analysis {
  const n = text.length;
  if (OUT.length < n + 16) grow(n + 1024);
  let out = OUT;
  let hashes = HASHES;
  let starts = STARTS;
  let fold = FOLD;
  let rawCase = "";
  let runStart = 0; // start of the run not yet copied to rawCase
  let rawBlocks = 0;
  let hiddenInWord = false;
  let mixedScript = false;
  let hasTags = false;
  let variationSelectorRun = false;
  let vsStreak = 0;
  let vsEnd = -1; // index right after the last variation selector
  const base64Runs: string[] = [];
  let b64Start = -1;
  let hexDigits = 0;
  let separators = 0;
  let hexRun = false;
  // words builder
  let k = 0;
  let fk = 0; // length of the folded stream
  let count = 0;
  let inWord = false;
  let h = FNV_OFFSET;
  let tokenLen = 0;
  let shortRun = 0;
  let spaced = false;
  let leetHint = false;
  let prevClass = 0; // class of the previous folded character
  // Folded characters of the current non-ASCII input character, fed one by one.
  let folded = "";
  let fi = 0;

  for (let i = 0; i <= n; ) {
    let w: number; // next character for the words builder (lowercase ASCII, or other)
    if (fi < folded.length) {
      w = fold[fk++] = folded.charCodeAt(fi++);
    } else if (i < n) {
      const c = text.charCodeAt(i);
      const oc = CLASS[c]!;
      // Encoded runs, on the original characters.
      if (oc & HEX) {
        if (++hexDigits >= MIN_HEX_DIGITS) hexRun = true;
        separators = 0;
      } else if (hexDigits > 0) {
        if ((c === 32 || c === 44 || c === 58 || c === 120) && separators < 2) separators++;
        else hexDigits = separators = 0;
      } else separators = 0;
      if (oc & B64) {
        if (b64Start < 0) b64Start = i;
      } else if (b64Start >= 0) {
        if (i - b64Start >= MIN_B64 && base64Runs.length < MAX_B64_RUNS) {
          let stop = i;
          while (stop - i < 2 && text.charCodeAt(stop) === 61) stop++; // "=" padding
          base64Runs.push(text.slice(b64Start, stop));
        }
        b64Start = -1;
      }
      if (oc & KEEP) {
        w = fold[fk++] = LOWERCASE[c]!;
        i++;
      } else {
        if (c < 0x80) {
          // C0 control or DEL: dropped (rawCase takes the pending run first), and glues its neighbours.
          if (i > runStart) rawCase += text.slice(runStart, i);
          runStart = ++i;
          continue;
        }
        const cp = text.codePointAt(i)!;
        const next = i + (cp > 0xffff ? 2 : 1);
        const f = foldCodePoint(cp);
        // A character NFKC keeps as it is stays in the pending run; others end it.
        if (!f.same && i > runStart) rawCase += text.slice(runStart, i);
        if (f.rawCase === "") {
          if (!hiddenInWord && !isSpace(text.charCodeAt(i - 1)) && !isSpace(text.charCodeAt(next))) hiddenInWord = true;
          if (cp >= 0xe0000 && cp <= 0xe007f) hasTags = true;
        } else {
          if (cp >= 0x370 && cp <= 0x4ff) {
            if (!mixedScript && (isAsciiLetter(text.charCodeAt(i - 1)) || isAsciiLetter(text.charCodeAt(next)))) mixedScript = true;
          } else if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) {
            vsStreak = i === vsEnd ? vsStreak + 1 : 1;
            vsEnd = next;
            if (vsStreak >= 8) variationSelectorRun = true;
          }
          if (!f.same) rawCase += f.rawCase;
          rawBlocks |= f.blocks;
          folded = f.folded;
          fi = 0;
          // NFKC can expand one character to up to 18 (U+FDFA): grow instead of truncating.
          if (fk + folded.length + (n - next) + 16 > out.length) {
            grow(out.length * 2 + folded.length);
            out = OUT;
            hashes = HASHES;
            starts = STARTS;
            fold = FOLD;
          }
        }
        i = next;
        if (!f.same) runStart = next;
        continue;
      }
    } else {
      if (b64Start >= 0 && n - b64Start >= MIN_B64 && base64Runs.length < MAX_B64_RUNS) base64Runs.push(text.slice(b64Start));
      w = 32; // closes the last word
      i++;
    }

    const wc = CLASS[w]!;
    // Leet hint: a letter right after a leet digit/symbol ("1g", "@l"), or a leet digit
    // right after a letter ("n0").
    if (!leetHint && ((wc & LOWER && prevClass & (LEET_DIGIT | LEET_SYM)) || (wc & LEET_DIGIT && prevClass & LOWER))) leetHint = true;
    prevClass = wc;
    if (wc & (LOWER | DIGIT)) {
      if (!inWord) {
        if (k > 0) out[k++] = 32;
        starts[count] = k;
        inWord = true;
        h = FNV_OFFSET;
        tokenLen = 0;
      }
      out[k++] = w;
      h = Math.imul(h ^ w, FNV_PRIME);
      tokenLen++;
    } else if (inWord) {
      inWord = false;
      hashes[count++] = h >>> 0;
      if (tokenLen <= 2) {
        if (++shortRun >= 5) spaced = true;
      } else shortRun = 0;
    }
  }
  if (runStart === 0) rawCase = text;
  else if (n > runStart) rawCase += text.slice(runStart, n);
  return {
    rawCase,
    rawBlocks,
    words: { text: asciiString(out.subarray(0, k)), hashes: hashes.slice(0, count), starts: starts.slice(0, count), spaced, leetHint },
    folded: leetHint ? fold.slice(0, fk) : undefined,
    hiddenInWord,
    mixedScript,
    hasTags,
    variationSelectorRun,
    base64Runs,
    hexRun,
  };
}

/**
 * Leet words view of the folded stream (Analysis.folded: rawCase lowercased, diacritics and
 * confusables folded, punctuation kept): digits and glued symbols read as letters, "l" as "i"
 * (rule patterns are transformed the same way, see leetPatternSource).
 */
export function leetWords(folded: Uint16Array): WordsView {
  const n = folded.length;
  if (OUT.length < n + 16) grow(n + 1024);
  const out = OUT;
  const hashes = HASHES;
  const starts = STARTS;
  let k = 0;
  let count = 0;
  let inWord = false;
  let h = FNV_OFFSET;
  let tokenLen = 0;
  let shortRun = 0;
  let spaced = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? folded[i]! : 32;
    let o = c < 128 ? LEET_WORD[c]! : 0;
    if (o === 0) {
      // A symbol reads as a letter when glued to a letter, digit or another symbol.
      const sym = c < 128 ? LEET_SYMBOL[c]! : c === 0x20ac ? 101 : 0; // "€" -> e
      if (sym !== 0) {
        const next = i + 1 < n ? folded[i + 1]! : 32;
        if (isAlnum(next) || symbolOf(next) !== 0 || (isTrailingSymbol(c) && i > 0 && isAlnum(folded[i - 1]!))) o = sym;
      }
    }
    if (o !== 0) {
      if (!inWord) {
        if (k > 0) out[k++] = 32;
        starts[count] = k;
        inWord = true;
        h = FNV_OFFSET;
        tokenLen = 0;
      }
      out[k++] = o;
      h = Math.imul(h ^ o, FNV_PRIME);
      tokenLen++;
    } else if (inWord) {
      inWord = false;
      hashes[count++] = h >>> 0;
      if (tokenLen <= 2) {
        if (++shortRun >= 5) spaced = true;
      } else shortRun = 0;
    }
  }
  return { text: asciiString(out.subarray(0, k)), hashes: hashes.slice(0, count), starts: starts.slice(0, count), spaced, leetHint: true };
}

/**
 * The view rules run on: lowercase ASCII words separated by single spaces, with
 * diacritics, homoglyphs, zero-width characters and punctuation noise removed.
 * "Ｉgn\u200Bore…ALL   prévious" -> "ignore all previous".
 */
export function normalizeForMatching(text: string): string {
  return analyze(text).words.text;
}

/** Applies to rule patterns and triggers what toLeetWords applies to text. */
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
