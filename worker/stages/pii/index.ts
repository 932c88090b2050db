/**
 * PII masking before a message leaves for a model provider, and restoring the user's own
 * values in the model's (streamed) answer.
 *
 * Detection favours precision on numbers: every numeric identifier must pass its check
 * digits (NIR key, IBAN mod 97, Luhn) or a strict national format (French phones), so
 * dates, prices, order/tracking numbers and hashes stay readable for the model.
 * All functions are pure and synchronous; the mapping lives only in what they return.
 */
import { ibanChecksumValid, luhnValid, nirKeyValid } from "./checksums";
import { IBAN_LENGTHS } from "./iban-lengths";

export type PiiType = "EMAIL" | "PHONE" | "NIR" | "IBAN" | "CREDIT_CARD";
export const PII_TYPES: readonly PiiType[] = ["EMAIL", "PHONE", "NIR", "IBAN", "CREDIT_CARD"];

export interface PiiSpan {
  type: PiiType;
  /** UTF-16 offset in the original text. */
  start: number;
  /** Exclusive UTF-16 offset. */
  end: number;
  /** The original text of the span, as the user wrote it. */
  value: string;
}

/** Placeholder (e.g. "[EMAIL_1]") -> the user's original text. Never persisted. */
export type PiiMapping = Record<string, string>;

export interface MaskResult {
  masked: string;
  mapping: PiiMapping;
  /** Occurrences replaced per type (not distinct values). */
  counts: Record<PiiType, number>;
}

export interface PiiRestorer {
  push(chunk: string): string;
  flush(): string;
}

interface Candidate extends PiiSpan {
  /** Normalized value: two spans with the same key get the same placeholder. */
  key: string;
}

// Order used when two candidates cover exactly the same text (e.g. a 15-digit Amex that
// also passes the NIR key): the more specific check wins.
const PRIORITY: Record<PiiType, number> = { EMAIL: 0, IBAN: 1, CREDIT_CARD: 2, NIR: 3, PHONE: 4 };

// ---------------------------------------------------------------------------------------
// Normalization. Every replacement is one UTF-16 unit for one UTF-16 unit, so offsets in
// the normalized text are offsets in the original.

// Unicode spaces (NBSP, narrow NBSP, thin/figure spaces, ideographic space), Unicode
// hyphens, and the full-width ASCII block (full-width digits, "+", "@", letters...).
const NEEDS_NORMALIZATION = /[\u00A0\u2000-\u200A\u2010-\u2013\u202F\u205F\u3000\uFF01-\uFF5E]/;
const NORMALIZE_ALL = /[\u00A0\u2000-\u200A\u2010-\u2013\u202F\u205F\u3000\uFF01-\uFF5E]/g;

function normalizeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (code >= 0xff01) return String.fromCharCode(code - 0xfee0);
  if (code >= 0x2010 && code <= 0x2013) return "-";
  return " ";
}

function normalizeForDetection(text: string): string {
  if (!NEEDS_NORMALIZATION.test(text)) return text;
  NORMALIZE_ALL.lastIndex = 0;
  return text.replace(NORMALIZE_ALL, normalizeChar);
}

// Nothing to find without a digit or an "@" (full-width ones included): skip the scans.
const MAYBE_PII = /[0-9@\uFF10-\uFF19\uFF20]/;

// ---------------------------------------------------------------------------------------
// EMAIL: anchored on each "@" (cheap when there is none), local part walked leftwards,
// domain matched with a sticky regex. Unicode letters allowed (RFC 6531 addresses).

const EMAIL_DOMAIN = /@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.){1,8}\p{L}{2,24}(?![\p{L}\p{N}-])/uy;
const NON_ASCII_ALNUM = /[\p{L}\p{N}]/u;

function isLocalPartChar(code: number, ch: string): boolean {
  if (code < 128) {
    return (
      (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) ||
      code === 46 || code === 95 || code === 37 || code === 43 || code === 45 // . _ % + -
    );
  }
  return NON_ASCII_ALNUM.test(ch);
}

function collectEmails(norm: string, out: Candidate[], original: string): void {
  let at = norm.indexOf("@");
  while (at !== -1) {
    let start = at;
    while (start > 0 && at - start < 64 && isLocalPartChar(norm.charCodeAt(start - 1), norm[start - 1]!)) start--;
    const tooLong = start > 0 && isLocalPartChar(norm.charCodeAt(start - 1), norm[start - 1]!);
    while (start < at && norm.charCodeAt(start) === 46) start++; // a local part never starts with "."
    let next = at + 1;
    if (!tooLong && start < at) {
      EMAIL_DOMAIN.lastIndex = at;
      const m = EMAIL_DOMAIN.exec(norm);
      if (m) {
        const end = at + m[0].length;
        out.push({ type: "EMAIL", start, end, value: original.slice(start, end), key: norm.slice(start, end).toLowerCase() });
        next = end;
      }
    }
    at = norm.indexOf("@", next);
  }
}

// ---------------------------------------------------------------------------------------
// Numeric identifiers (PHONE, NIR, CREDIT_CARD). A cheap scan first finds "clusters" of at
// least 8 digits joined by short separators; the exact formats are then tried, as sticky
// regexes, only where a digit run starts inside a cluster. Far cheaper on number-heavy
// text than three full scans, and every attempt is anchored, so nothing backtracks across
// the text. Separators are ASCII here: the text was normalized first.

// "A"/"B" for the Corsica departments of a NIR ("2A", "2B").
const NUMERIC_CLUSTER = /\+?\d(?:[ .\-\/()]{0,3}[\dABab]){7,}/g;

// Not followed by a letter/digit, nor by "separator + digit" (a longer number).
const RIGHT = String.raw`(?![\p{L}\p{N}_]|[.,\-/]\p{N})`;

// French numbers use one separator consistently (backreference): that refuses dates and
// mixed groupings such as "01-02-2026 12".
const PHONE_Y = new RegExp(
  String.raw`(?:` +
    // +33 / 0033, optional "(0)" or "0" trunk prefix, then 9 digits starting 1-9.
    String.raw`(?<fr>(?:\+|00)33[ .\-]?(?:\(0\)[ .\-]?|0[ .\-]?)?[1-9]([ .\-]?)\d\d(?:\2\d\d){3})` +
    // National: 0 then 1-9, five pairs.
    String.raw`|0[1-9]([ .\-]?)\d\d(?:\3\d\d){3}` +
    // Other countries, E.164: "+", country code, 6-13 more digits (total checked below).
    String.raw`|(?<intl>\+(?!33)[1-9]\d{0,2}(?:[ .\-]?\(0\))?(?:[ .\-]?\d){6,13})` +
    String.raw`)` +
    RIGHT,
  "uy",
);

// 1 + YY + MM + department (2 digits or 2A/2B) + commune + order + key; single spaces may
// separate the groups (overseas departments use 3+2 instead of 2+3 digits: both allowed).
const NIR_Y = new RegExp(String.raw`[1-478] ?\d\d ?\d\d ?(?:\d\d|2[ABab]) ?\d ?\d\d ?\d\d\d ?\d\d` + RIGHT, "uy");

// 4-4-4-x(-x) groups, 4-6-5 / 4-6-4 (Amex / Diners), or compact.
const CARD_Y = new RegExp(
  String.raw`(?:\d{4}([ \-])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?|\d{4}([ \-])\d{6}\2\d{4,5}|\d{13,19})` + RIGHT,
  "uy",
);

function isWordChar(s: string, i: number): boolean {
  const code = s.charCodeAt(i);
  if (code < 128) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
  return NON_ASCII_ALNUM.test(s[i]!);
}

function isDigitAt(s: string, i: number): boolean {
  const code = s.charCodeAt(i);
  return code >= 48 && code <= 57;
}

/** A number may start at `i`: not inside a word/number, not after "+", nor after "digit + [.,-/]". */
function numberMayStartAt(s: string, i: number): boolean {
  if (i === 0) return true;
  if (isWordChar(s, i - 1)) return false;
  const prev = s.charCodeAt(i - 1);
  if (prev === 43) return false; // "+"
  if ((prev === 46 || prev === 44 || prev === 45 || prev === 47) && i >= 2 && isDigitAt(s, i - 2)) return false;
  return true;
}

function digitsOf(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code >= 48 && code <= 57) out += s[i];
  }
  return out;
}

interface NumericHit {
  type: PiiType;
  end: number;
  key: string;
}

function matchPhone(norm: string, p: number): NumericHit | undefined {
  PHONE_Y.lastIndex = p;
  const m = PHONE_Y.exec(norm);
  if (!m) return undefined;
  let key: string;
  if (m.groups!.intl !== undefined) {
    const digits = digitsOf(m[0].replaceAll("(0)", ""));
    if (digits.length < 8 || digits.length > 15) return undefined;
    key = `+${digits}`;
  } else {
    // French: "+33 6 ..." and "06 ..." are the same line, keyed as the national form.
    key = `0${digitsOf(m[0]).slice(-9)}`;
  }
  return { type: "PHONE", end: p + m[0].length, key };
}

// Month field: 01-12, or the special ranges 20-42 / 50-99 (unknown or provisional month).
function nirMonthValid(mm: number): boolean {
  return (mm >= 1 && mm <= 12) || (mm >= 20 && mm <= 42) || mm >= 50;
}

function matchNir(norm: string, p: number): NumericHit | undefined {
  NIR_Y.lastIndex = p;
  const m = NIR_Y.exec(norm);
  if (!m) return undefined;
  const key = m[0].replaceAll(" ", "").toUpperCase();
  if (!nirMonthValid(Number(key.slice(3, 5))) || !nirKeyValid(key)) return undefined;
  return { type: "NIR", end: p + m[0].length, key };
}

/** Integer value of the first `len` digits. */
function prefix(d: string, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 10 + (d.charCodeAt(i) - 48);
  return v;
}

/** Known issuer prefixes with their lengths (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir; CB cards are co-branded Visa/Mastercard). */
function cardIssuerValid(d: string): boolean {
  const n = d.length;
  const p2 = prefix(d, 2);
  const p3 = prefix(d, 3);
  const p4 = prefix(d, 4);
  switch (d.charCodeAt(0) - 48) {
    case 4:
      return n === 13 || n === 16 || n === 19; // Visa
    case 5:
      if (p2 >= 51 && p2 <= 55) return n === 16; // Mastercard
      return p2 === 50 || (p2 >= 56 && p2 <= 58); // Maestro
    case 2:
      if (p4 >= 2221 && p4 <= 2720) return n === 16; // Mastercard 2-series
      return p4 >= 2200 && p4 <= 2204 && n >= 16; // Mir
    case 3:
      if (p2 === 34 || p2 === 37) return n === 15; // Amex
      if (p4 >= 3528 && p4 <= 3589) return n >= 16; // JCB
      if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14; // Diners
      return false;
    case 6:
      if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65) return n >= 16; // Discover
      if (p2 === 62) return n >= 16; // UnionPay (incl. Discover 622126-622925)
      return p4 === 6304 || p4 === 6759 || (p4 >= 6761 && p4 <= 6763); // Maestro
    default:
      return false;
  }
}

const cardValid = (digits: string): boolean =>
  digits.length >= 13 && digits.length <= 19 && cardIssuerValid(digits) && luhnValid(digits);

function matchCard(norm: string, p: number): NumericHit | undefined {
  CARD_Y.lastIndex = p;
  const m = CARD_Y.exec(norm);
  if (!m) return undefined;
  const digits = digitsOf(m[0]);
  if (cardValid(digits)) return { type: "CREDIT_CARD", end: p + m[0].length, key: digits };
  // "4111 1111 1111 1111 2 ..." : the optional fifth group may belong to the next words.
  if (m[1] === " " && digits.length > 16 && cardValid(digits.slice(0, 16))) {
    return { type: "CREDIT_CARD", end: p + 19, key: digits.slice(0, 16) };
  }
  return undefined;
}

function collectNumbers(norm: string, out: Candidate[], original: string): void {
  NUMERIC_CLUSTER.lastIndex = 0;
  for (let c = NUMERIC_CLUSTER.exec(norm); c; c = NUMERIC_CLUSTER.exec(norm)) {
    const clusterEnd = c.index + c[0].length;
    let p = c.index;
    while (p < clusterEnd) {
      const ch = norm.charCodeAt(p);
      // Only where a digit run (or a "+") starts.
      const runStart = ch === 43 || (ch >= 48 && ch <= 57 && (p === c.index || !isDigitAt(norm, p - 1)));
      let hit: NumericHit | undefined;
      if (runStart && numberMayStartAt(norm, p)) {
        // First character decides which formats are possible: phones start with 0 or +,
        // NIRs with 1-4/7/8, cards with 2-6.
        if (ch === 43 || ch === 48) hit = matchPhone(norm, p);
        else {
          const nir = ch <= 52 || ch === 55 || ch === 56 ? matchNir(norm, p) : undefined;
          const card = ch >= 50 && ch <= 54 ? matchCard(norm, p) : undefined;
          hit = nir && card ? (card.end >= nir.end ? card : nir) : (nir ?? card);
        }
      }
      if (hit) {
        out.push({ type: hit.type, start: p, end: hit.end, value: original.slice(p, hit.end), key: hit.key });
        p = hit.end;
      } else p++;
    }
  }
}

// ---------------------------------------------------------------------------------------
// IBAN: country + check digits + 11..30 alphanumerics with optional single spaces. Greedy
// on purpose: the country's length decides where it really ends (see collectIbans).
// ASCII-only lookbehind keeps the scan fast; a non-ASCII letter before is checked in code.
const IBAN_RE = /(?<![A-Za-z0-9_])[A-Za-z]{2}\d\d(?: ?[A-Za-z0-9]){11,30}/g;

function collectIbans(norm: string, out: Candidate[], original: string): void {
  IBAN_RE.lastIndex = 0;
  for (let m = IBAN_RE.exec(norm); m; m = IBAN_RE.exec(norm)) {
    const start = m.index;
    if (start > 0 && isWordChar(norm, start - 1)) {
      IBAN_RE.lastIndex = start + 1;
      continue;
    }
    const length = IBAN_LENGTHS[m[0].slice(0, 2).toUpperCase()];
    // Take exactly the country's length of alphanumerics from the greedy match.
    let end = -1;
    if (length !== undefined) {
      let count = 0;
      for (let i = start; i < start + m[0].length; i++) {
        if (norm.charCodeAt(i) !== 32 && ++count === length) {
          end = i + 1;
          break;
        }
      }
    }
    // The IBAN must not run on into more letters/digits, and must pass mod 97.
    const key = end === -1 || (end < norm.length && isWordChar(norm, end)) ? "" : norm.slice(start, end).replaceAll(" ", "").toUpperCase();
    if (key === "" || !ibanChecksumValid(key)) {
      IBAN_RE.lastIndex = start + 1;
      continue;
    }
    out.push({ type: "IBAN", start, end, value: original.slice(start, end), key });
    IBAN_RE.lastIndex = end; // the greedy match may have swallowed the next words
  }
}

function detectCandidates(text: string): Candidate[] {
  if (!MAYBE_PII.test(text)) return [];
  const norm = normalizeForDetection(text);
  const found: Candidate[] = [];
  collectEmails(norm, found, text);
  collectIbans(norm, found, text);
  collectNumbers(norm, found, text);
  if (found.length < 2) return found;
  // Leftmost wins, then the longest, then the most specific type; overlaps are dropped.
  found.sort((a, b) => a.start - b.start || b.end - a.end || PRIORITY[a.type] - PRIORITY[b.type]);
  const kept: Candidate[] = [];
  let lastEnd = 0;
  for (const c of found) {
    if (c.start >= lastEnd) {
      kept.push(c);
      lastEnd = c.end;
    }
  }
  return kept;
}

/** PII spans in `text`: sorted, non-overlapping, UTF-16 offsets (end exclusive). */
export function detectPii(text: string): PiiSpan[] {
  return detectCandidates(text).map(({ type, start, end, value }) => ({ type, start, end, value }));
}

// ---------------------------------------------------------------------------------------
// Masking and restoring.

const PLACEHOLDER_IN_TEXT = /\[(EMAIL|PHONE|NIR|IBAN|CREDIT_CARD)_(\d+)\]/g;

/**
 * Replaces each PII value by `[TYPE_n]`, numbered per type in order of first appearance;
 * the same value (normalized) always gets the same placeholder. Numbers whose placeholder
 * already appears literally in the text are skipped, so restoring never rewrites text
 * the user typed. When one value appears in two spellings, the mapping keeps the first.
 */
export function maskPii(text: string): MaskResult {
  const counts: Record<PiiType, number> = { EMAIL: 0, PHONE: 0, NIR: 0, IBAN: 0, CREDIT_CARD: 0 };
  const mapping: PiiMapping = {};
  const spans = detectCandidates(text);
  if (spans.length === 0) return { masked: text, mapping, counts };

  let literal: Set<string> | undefined;
  if (text.includes("[")) {
    literal = new Set();
    PLACEHOLDER_IN_TEXT.lastIndex = 0;
    for (let m = PLACEHOLDER_IN_TEXT.exec(text); m; m = PLACEHOLDER_IN_TEXT.exec(text)) literal.add(m[0]);
  }
  const next: Record<PiiType, number> = { EMAIL: 1, PHONE: 1, NIR: 1, IBAN: 1, CREDIT_CARD: 1 };
  const byKey = new Map<string, string>();
  const parts: string[] = [];
  let pos = 0;
  for (const s of spans) {
    const k = `${s.type}:${s.key}`;
    let placeholder = byKey.get(k);
    if (placeholder === undefined) {
      do placeholder = `[${s.type}_${next[s.type]++}]`;
      while (literal?.has(placeholder));
      byKey.set(k, placeholder);
      mapping[placeholder] = s.value;
    }
    counts[s.type]++;
    parts.push(text.slice(pos, s.start), placeholder);
    pos = s.end;
  }
  parts.push(text.slice(pos));
  return { masked: parts.join(""), mapping, counts };
}

/**
 * Where the placeholder-shaped text /\[[A-Z][A-Z_]*_\d+\]/ starting at text[open] (a "[")
 * ends (the index of its "]"), or -1. Reads only the [A-Z_0-9] run after the "[", which
 * holds no "[": a scan of every "[" stays linear in the text.
 */
function placeholderEnd(text: string, open: number): number {
  let i = open + 1;
  let c = text.charCodeAt(i);
  if (!(c >= 65 && c <= 90)) return -1; // NaN past the end fails too
  for (c = text.charCodeAt(++i); (c >= 65 && c <= 90) || c === 95; c = text.charCodeAt(++i));
  // The digits follow the run's last character, which must be "_".
  if (text.charCodeAt(i - 1) !== 95 || !(c >= 48 && c <= 57)) return -1;
  for (c = text.charCodeAt(++i); c >= 48 && c <= 57; c = text.charCodeAt(++i));
  return c === 93 ? i : -1;
}

/**
 * Restores every placeholder of `mapping` in a whole string; unknown ones stay as they are.
 * A scan of each "[" rather than a regex replace: it runs on streamed chunks.
 */
export function restorePii(text: string, mapping: PiiMapping): string {
  let open = text.indexOf("[");
  if (open === -1) return text;
  let out = "";
  let pos = 0;
  while (open !== -1) {
    const close = placeholderEnd(text, open);
    if (close !== -1) {
      const placeholder = text.slice(open, close + 1);
      if (Object.hasOwn(mapping, placeholder)) {
        out += text.slice(pos, open) + mapping[placeholder]!;
        pos = close + 1;
      }
      open = text.indexOf("[", close + 1);
    } else open = text.indexOf("[", open + 1);
  }
  return pos === 0 ? text : out + text.slice(pos);
}

/** Whether `text` holds a "[": a loop for the short chunks of a stream, includes() beyond. */
function hasOpenBracket(text: string): boolean {
  const n = text.length;
  if (n > 16) return text.includes("[");
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) === 91) return true;
  return false;
}

/**
 * Streaming restore. Only the text from the last "[" is ever held back, and only while it
 * is still a prefix of a placeholder of this mapping (an incomplete placeholder cannot
 * contain another "[", so it can only start at the last one). Concatenated output equals
 * restorePii() of the concatenated input, whatever the chunking.
 */
export function createPiiRestorer(mapping: PiiMapping): PiiRestorer {
  const keys = Object.keys(mapping);
  let held = "";
  function couldComplete(tail: string): boolean {
    for (const k of keys) if (k.length > tail.length && k.startsWith(tail)) return true;
    return false;
  }
  return {
    push(chunk: string): string {
      // Most chunks of an answer: no placeholder held, none starting.
      if (held === "" && !hasOpenBracket(chunk)) return chunk;
      const text = held + chunk;
      held = "";
      const open = text.lastIndexOf("[");
      if (open !== -1 && couldComplete(text.slice(open))) {
        held = text.slice(open);
        return restorePii(text.slice(0, open), mapping);
      }
      return restorePii(text, mapping);
    },
    flush(): string {
      const rest = held;
      held = "";
      return rest;
    },
  };
}
