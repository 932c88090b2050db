/**
 * Where the credential hold-back starts, computed by hand from the end of the text: the
 * same answer as the VIABLE regex of ./index.ts (a test checks both agree on random
 * input), without a regex run per streamed chunk. Every alternative of that regex is
 * anchored at the end and bounded (178 characters at most), so only the last word-like
 * run of the text is ever read.
 */

const WORD = 1; // [A-Za-z0-9_-]
const ALNUM = 2; // [A-Za-z0-9]
const UPPER_OR_DIGIT = 4; // [A-Z0-9]
const FLAGS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const upperOrDigit = (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  const alnum = upperOrDigit || (c >= 97 && c <= 122);
  FLAGS[c] = (alnum || c === 95 || c === 45 ? WORD : 0) | (alnum ? ALNUM : 0) | (upperOrDigit ? UPPER_OR_DIGIT : 0);
}
// c may be -1 (no character): FLAGS[-1] is undefined, and undefined & x is 0.
const isWord = (c: number) => (FLAGS[c]! & WORD) !== 0;
const isAlnum = (c: number) => (FLAGS[c]! & ALNUM) !== 0;
const isUpperOrDigit = (c: number) => (FLAGS[c]! & UPPER_OR_DIGIT) !== 0;

/** Longest tail any alternative can match ("eyJ" + 100 + "." + 64 + "." + 9). */
const MAX_TAIL = 178;
const DASH = 45;
const DOT = 46;

/** The character before text[p]: `prev` for p = 0. */
function charBefore(text: string, prev: number, p: number): number {
  return p > 0 ? text.charCodeAt(p - 1) : prev;
}

/**
 * Earliest p >= from such that text[p..] is a prefix of a credential (VIABLE), else
 * text.length. `prev` is the character before text[0] (-1: start of stream), seen only by
 * the lookbehinds when from is 0. `header` false: the caller knows that no "-----B" starts
 * in text[from..] (no private-key header tail to look for).
 */
export function viableTailStart(text: string, from: number, prev: number, header = true): number {
  const end = text.length;
  if (end <= from) return end;
  // No local closures here: bundlers that keep function names (wrangler, tsx) wrap each
  // one in a helper call every time it is created.
  const last = text.charCodeAt(end - 1);
  let best = end;

  // "-{1,5}": the last dashes, at most five of them.
  if (last === DASH) {
    let d = 0;
    while (d < 5 && end - d - 1 >= from && text.charCodeAt(end - d - 1) === DASH) d++;
    best = end - d;
  }

  // "-----BEGIN [A-Z0-9 ]{0,42}" and its prefixes from "-----B" on: no dash after the
  // "B", so only the last "-----B" can be the start.
  if (header && (isUpperOrDigit(last) || last === 32) && end - from >= 6) {
    const q = text.lastIndexOf("-----B", end - 6);
    if (q >= from && q < best) {
      const tail = end - (q + 6);
      let ok = tail <= 47;
      for (let i = 0; ok && i < tail; i++) {
        const c = text.charCodeAt(q + 6 + i);
        ok = i < 4 ? c === "EGIN".charCodeAt(i) : i === 4 ? c === 32 : isUpperOrDigit(c) || c === 32;
      }
      if (ok) best = q;
    }
  }

  // "A", "AK", "AKI", "AKIA[A-Z0-9]{0,15}" (and AS...) after a non-alphanumeric.
  if (isUpperOrDigit(last)) {
    let p = end;
    const lim = Math.max(from, end - 20);
    while (p > lim && isAlnum(text.charCodeAt(p - 1))) p--;
    const n = end - p;
    if (p < best && n <= 19 && !isAlnum(charBefore(text, prev, p)) && text.charCodeAt(p) === 65) {
      let ok = n < 2 || text.charCodeAt(p + 1) === 75 || text.charCodeAt(p + 1) === 83;
      ok &&= n < 3 || text.charCodeAt(p + 2) === 73;
      ok &&= n < 4 || text.charCodeAt(p + 3) === 65;
      for (let i = p + 4; ok && i < end; i++) ok = isUpperOrDigit(text.charCodeAt(i));
      if (ok) best = p;
    }
  }

  if (!isWord(last) && last !== DOT) return best;
  const lim = Math.max(from, end - MAX_TAIL - 2);

  // The last run of [A-Za-z0-9_-]: "s", "sk", "sk-[A-Za-z0-9_-]{0,55}" must be all of it.
  let r = end;
  while (r > lim && isWord(text.charCodeAt(r - 1))) r--;
  const n = end - r;
  if (r < best && n >= 1 && n <= 58 && !isWord(charBefore(text, prev, r)) && text.charCodeAt(r) === 115) {
    if (n === 1 || (text.charCodeAt(r + 1) === 107 && (n === 2 || text.charCodeAt(r + 2) === DASH))) best = r;
  }

  // JWT: "e", "ey", "eyJ[..]{0,100}(\.[..]{0,64}(\.[..]{0,9})?)?". The start follows a
  // non-word character (a "." included), so it is the start of one of the last three
  // dot-separated segments.
  let segStart = r;
  let segEnd = end;
  let l0 = 0; // lengths of the last, second-to-last and third-to-last segments
  let l1 = 0;
  for (let k = 0; k < 3; k++) {
    const first = segEnd - segStart;
    if (k === 0) l0 = first;
    else if (k === 1) l1 = first;
    const p = segStart;
    if (p < best && first > 0 && text.charCodeAt(p) === 101 && !isWord(charBefore(text, prev, p))) {
      let ok: boolean;
      if (k === 0) ok = first === 1 || (text.charCodeAt(p + 1) === 121 && (first === 2 || (text.charCodeAt(p + 2) === 74 && first <= 103)));
      else ok = first >= 3 && first <= 103 && text.charCodeAt(p + 1) === 121 && text.charCodeAt(p + 2) === 74;
      if (ok && k === 1) ok = l0 <= 64;
      if (ok && k === 2) ok = l1 <= 64 && l0 <= 9;
      if (ok) best = p;
    }
    if (segStart - 1 < lim || text.charCodeAt(segStart - 1) !== DOT) break;
    segEnd = segStart - 1;
    segStart = segEnd;
    while (segStart > lim && isWord(text.charCodeAt(segStart - 1))) segStart--;
  }
  return best;
}
