/**
 * Input sanitization: removes what a reader cannot see or what a renderer would execute,
 * and nothing else. Pure, synchronous, linear in the input.
 *
 * Order matters for idempotence: line endings, controls and invisibles first (so that
 * "<scr\u200Bipt>" becomes visible to the HTML step), then NFC, then active HTML, then
 * run capping. When the HTML step removed something, the whole pipeline runs again on its
 * output until it is stable (removals can join neighbours), at most MAX_PASSES times.
 */

export interface SanitizeResult {
  text: string;
  removed: { control: number; invisible: number; html: number; runsCapped: number };
}

/** More identical characters in a row than this are cut down to it. */
export const RUN_CAP = 20;
/** Spaces and tabs get more room: deep code indentation is legitimate. */
export const WHITESPACE_RUN_CAP = 80;
const MAX_PASSES = 4;

export function sanitize(text: string): SanitizeResult {
  const removed = { control: 0, invisible: 0, html: 0, runsCapped: 0 };
  let current = text;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const htmlBefore = removed.html;
    let s = stripInvisible(current, removed);
    if (NON_ASCII.test(s)) s = s.normalize("NFC");
    s = stripActiveHtml(s, removed);
    s = capRuns(s, removed);
    const changedByHtml = removed.html !== htmlBefore;
    current = s;
    if (!changedByHtml) break;
  }
  return { text: current, removed };
}

// ---------------------------------------------------------------------------------------
// Controls and invisible characters

const NON_ASCII = /[^\x00-\x7f]/;
/**
 * Anything the slow path may need to look at; plain text skips the loop entirely. Not a
 * /u regex (those scan ~10x slower): surrogates are matched as code units, only the
 * plane-14 ones (tags, variation selectors) and lone ones.
 */
const NEEDS_SCAN =
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]|\udb40|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isInvisible(c: number): boolean {
  return (
    c === 0xad || // soft hyphen
    c === 0x180e || // Mongolian vowel separator
    c === 0x200b || // zero-width space
    (c >= 0x2060 && c <= 0x2064) || // word joiner, invisible math operators
    (c >= 0x206a && c <= 0x206f) || // deprecated format characters
    c === 0xfeff || // BOM / zero-width no-break space
    (c >= 0xfff9 && c <= 0xfffb) || // interlinear annotation
    c === 0x3164 || c === 0xffa0 || // Hangul fillers, used as "blank" characters
    c === 0x17b4 || c === 0x17b5 // Khmer inherent vowels (invisible, deprecated)
  );
}

/** Bidi embeddings, overrides and isolates (Trojan-Source style reordering). LRM/RLM stay. */
function isBidiControl(c: number): boolean {
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

const isVariationSelector = (c: number) => (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef);
const isSkinTone = (c: number) => c >= 0x1f3fb && c <= 0x1f3ff;
const PICTOGRAPHIC = /^\p{Extended_Pictographic}$/u;
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;
/** Scripts where ZWJ/ZWNJ carry no legitimate meaning but do hide words from filters. */
const SIMPLE_SCRIPT = /^[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}]$/u;

function isPictographic(cp: number): boolean {
  return cp >= 0xa9 && PICTOGRAPHIC.test(String.fromCodePoint(cp));
}

/** ZWJ/ZWNJ are kept between emoji (👨‍👩‍👧) and inside complex scripts (Persian, Indic). */
function joinerIsLegit(prevBase: number, prevKept: number, next: number | undefined): boolean {
  if (next === undefined || prevKept < 0) return false;
  if (isPictographic(next) && isPictographic(prevBase) && (prevKept === prevBase || isVariationSelector(prevKept) || isSkinTone(prevKept))) return true;
  const p = String.fromCodePoint(prevKept);
  const n = String.fromCodePoint(next);
  return LETTER_OR_MARK.test(p) && LETTER_OR_MARK.test(n) && !SIMPLE_SCRIPT.test(p) && !SIMPLE_SCRIPT.test(n);
}

const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;
const isTag = (c: number) => c >= 0xe0000 && c <= 0xe007f;
const isSubdivisionTag = (c: number) => (c >= 0xe0030 && c <= 0xe0039) || (c >= 0xe0061 && c <= 0xe007a);

/** Last one or two code points of a string, for context checks. */
function lastCodePoints(s: string): [last: number, beforeLast: number] {
  const cps = [...s.slice(-4)].map((c) => c.codePointAt(0)!);
  return [cps[cps.length - 1] ?? -1, cps[cps.length - 2] ?? -1];
}

function stripInvisible(s: string, removed: SanitizeResult["removed"]): string {
  if (!NEEDS_SCAN.test(s)) return s;
  // Kept text is out + s.slice(start, i): removals flush the pending slice.
  let out = "";
  let start = 0;
  const drop = (i: number, width: number, replacement = "") => {
    out += s.slice(start, i) + replacement;
    start = i + width;
  };
  /** Last kept code point and the last one that is not a variation selector / skin tone. */
  const context = (i: number): [prevKept: number, prevBase: number] => {
    const tail = i - start >= 8 ? s.slice(i - 8, i) : out.slice(-8) + s.slice(start, i);
    const [last, beforeLast] = lastCodePoints(tail);
    const base = isVariationSelector(last) || isSkinTone(last) ? beforeLast : last;
    return [last, base];
  };
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x09 || (c >= 0xa0 && c < 0xad) || (c > 0xad && c < 0x115f)) {
      i++;
      continue;
    }
    if (c === 0x0d) {
      // \r\n and lone \r both become \n (not counted: a normalization, not a removal).
      drop(i, 1, s.charCodeAt(i + 1) === 0x0a ? "" : "\n");
      i++;
      continue;
    }
    if (c === 0x2028 || c === 0x2029) {
      drop(i, 1, "\n");
      i++;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff)) {
      // C0/C1 controls and lone surrogates (paired ones arrive here as cp > 0xffff).
      removed.control++;
      drop(i, 1);
      i++;
      continue;
    }
    if (isInvisible(cp) || isBidiControl(cp)) {
      removed.invisible++;
      drop(i, width);
      i += width;
      continue;
    }
    if (cp === 0x200c || cp === 0x200d) {
      const [prevKept, prevBase] = context(i);
      if (!joinerIsLegit(prevBase, prevKept, s.codePointAt(i + 1))) {
        removed.invisible++;
        drop(i, 1);
      }
      i++;
      continue;
    }
    if (isVariationSelector(cp)) {
      // One selector per base character; long runs are a known smuggling channel.
      const [prevKept] = context(i);
      const ok = prevKept >= 0 && !isVariationSelector(prevKept) && prevKept !== 0x0a && prevKept !== 0x09 && prevKept !== 0x20 && prevKept !== 0x200d;
      if (!ok) {
        removed.invisible++;
        drop(i, width);
      }
      i += width;
      continue;
    }
    if (isTag(cp)) {
      // Tag characters are invisible ASCII ("ASCII smuggling"); the only legitimate use is a
      // subdivision flag: 🏴 + 2..7 tag letters/digits + CANCEL TAG.
      let j = i;
      const run: number[] = [];
      while (j < s.length) {
        const t = s.codePointAt(j)!;
        if (!isTag(t)) break;
        run.push(t);
        j += 2;
      }
      const [prevKept] = context(i);
      const valid =
        prevKept === BLACK_FLAG &&
        run.length >= 3 &&
        run.length <= 8 &&
        run[run.length - 1] === CANCEL_TAG &&
        run.slice(0, -1).every(isSubdivisionTag);
      if (!valid) {
        removed.invisible += run.length;
        drop(i, j - i);
      }
      i = j;
      continue;
    }
    i += width;
  }
  return start === 0 ? s : out + s.slice(start);
}

// ---------------------------------------------------------------------------------------
// Active HTML

/** Elements removed together with their content when their closing tag exists. */
const CONTENT_ELEMENTS = new Set(["script", "style", "iframe"]);
/** Elements whose tags are removed (content, if any, stays as text). */
const TAG_ELEMENTS = new Set(["object", "embed", "applet", "frame", "frameset", "base", "link", "meta"]);
const isActiveElement = (name: string) => CONTENT_ELEMENTS.has(name) || TAG_ELEMENTS.has(name);

/** After entity decoding, whitespace removal and lowercasing of an attribute value. */
const DANGEROUS_URL = /^(?:javascript|vbscript|livescript|mocha):|^data:(?!image\/(?:png|gif|jpe?g|webp|avif|bmp)[;,])/;
const DANGEROUS_STYLE = /expression\(|javascript:|vbscript:|behavior:|-moz-binding/;

/**
 * A scheme written the ways browsers and markdown renderers still accept: letters as
 * numeric entities, tabs/newlines (or their entities) between letters, `&colon;`.
 */
function schemePattern(word: string): string {
  const gap = "(?:[\\t\\n\\r ]|&#0*(?:9|10|13);?|&#x0*(?:9|a|d);?|&tab;|&newline;)*";
  const letters = [...word].map((ch) => {
    const code = ch.charCodeAt(0);
    const upper = ch.toUpperCase().charCodeAt(0);
    return `(?:${ch}|&#0*(?:${code}|${upper});?|&#x0*(?:${code.toString(16)}|${upper.toString(16)});?)`;
  });
  const colon = "(?::|&colon;|&#0*58;?|&#x0*3a;?)";
  return letters.join(gap) + gap + colon;
}
const SCHEMES = ["javascript", "vbscript", "livescript"].map(schemePattern).join("|");
const DATA_SCHEME = `${schemePattern("data")}(?![\\t ]*image\\/(?:png|gif|jpe?g|webp|avif|bmp)[;,])`;
/**
 * Markdown link destinations, reference definitions and autolinks. Only these contexts:
 * "JavaScript: le langage du web" in prose must survive. Global: reset lastIndex before test().
 */
const MD_DANGEROUS_LINK = new RegExp(`(\\]\\([ \\t]*<?|\\]:[ \\t]*<?|<)(?:${SCHEMES}|${DATA_SCHEME})`, "gi");

const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(colon|tab|newline|lpar|rpar|sol|period));?/gi;
const NAMED: Record<string, string> = { colon: ":", tab: "\t", newline: "\n", lpar: "(", rpar: ")", sol: "/", period: "." };

function normalizeAttrValue(v: string): string {
  const decoded = v.replace(ENTITY, (_m, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name) return NAMED[name.toLowerCase()] ?? "";
    const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : "";
  });
  // Browsers ignore ASCII whitespace and controls inside a URL scheme.
  return decoded.replace(/[\x00-\x20\x7f]+/g, "").toLowerCase();
}

const ON_HANDLER = /^on[a-z]/;
/** A scheme needs ":" (or "&colon;" / "&#58;"), CSS code needs "(" or ":". */
const MAYBE_ACTIVE_VALUE = /[:&(]/;

function isDangerousAttr(name: string, value: string | undefined): boolean {
  if (value === undefined) return false; // a bare attribute cannot carry code
  if (ON_HANDLER.test(name)) return true;
  if (name === "srcdoc") return true;
  if (!MAYBE_ACTIVE_VALUE.test(value)) return false;
  const v = normalizeAttrValue(value);
  if (DANGEROUS_URL.test(v)) return true;
  return name === "style" && DANGEROUS_STYLE.test(v);
}

const isAsciiLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isHtmlSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;

interface Attr {
  name: string;
  value: string | undefined;
  /** From the end of the previous attribute (or tag name), so kept whitespace stays. */
  from: number;
  to: number;
}
interface Tag {
  name: string;
  nameEnd: number;
  attrs: Attr[];
  lastAttrEnd: number;
  /** Index after '>'. */
  end: number;
}

/**
 * HTML tokenizer rules for a start tag (what a browser will do), simplified; null if the
 * input (or `limit`, the parsing budget) ends inside the tag: browsers drop a tag cut by
 * the end of input. As in browsers, "<" inside a name or an unquoted value is part of it:
 * "<scr<script>" is one inert element named "scr<script".
 */
function parseStartTag(s: string, lt: number, limit: number): Tag | null {
  const n = Math.min(s.length, limit);
  let i = lt + 1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isHtmlSpace(c) || c === 0x2f || c === 0x3e) break;
    i++;
  }
  const nameEnd = i;
  const name = s.slice(lt + 1, nameEnd).toLowerCase();
  const attrs: Attr[] = [];
  let lastAttrEnd = nameEnd;
  while (i < n) {
    const from = lastAttrEnd;
    let c = s.charCodeAt(i);
    while (i < n && (isHtmlSpace(c) || c === 0x2f)) c = s.charCodeAt(++i);
    if (i >= n) return null;
    if (c === 0x3e) return { name, nameEnd, attrs, lastAttrEnd, end: i + 1 };
    const nameStart = i;
    i++; // the first character may be '='
    while (i < n) {
      c = s.charCodeAt(i);
      if (isHtmlSpace(c) || c === 0x2f || c === 0x3e || c === 0x3d) break;
      i++;
    }
    const attrName = s.slice(nameStart, i).toLowerCase();
    let j = i;
    while (j < n && isHtmlSpace(s.charCodeAt(j))) j++;
    let value: string | undefined;
    if (s.charCodeAt(j) === 0x3d) {
      j++;
      while (j < n && isHtmlSpace(s.charCodeAt(j))) j++;
      const q = s.charCodeAt(j);
      if (q === 0x22 || q === 0x27) {
        const close = s.indexOf(q === 0x22 ? '"' : "'", j + 1);
        if (close < 0 || close >= n) return null;
        value = s.slice(j + 1, close);
        i = close + 1;
      } else {
        let k = j;
        while (k < n && !isHtmlSpace(s.charCodeAt(k)) && s.charCodeAt(k) !== 0x3e) k++;
        value = s.slice(j, k);
        i = k;
      }
    }
    attrs.push({ name: attrName, value, from, to: i });
    lastAttrEnd = i;
  }
  return null;
}

/** Lines opening/closing a fenced code block (CommonMark: up to 3 spaces of indent). */
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})([^\n]*)$/;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/**
 * Splits into [start, end) ranges outside fenced code blocks. Code inside fences is shown
 * as code by markdown renderers, so it is left alone (users paste HTML to get help).
 * A fence inside a raw HTML block is not code for a renderer, hence the check for lines
 * starting with "<" since the last blank line.
 * Fence lengths are compared capped at RUN_CAP so that capping cannot re-pair fences.
 */
function unfencedRanges(s: string): Array<[number, number]> {
  if (!s.includes("```") && !s.includes("~~~")) return [[0, s.length]];
  const n = s.length;
  const ranges: Array<[number, number]> = [];
  let rangeStart = 0;
  let fence: { ch: string; len: number } | null = null;
  let htmlSinceBlank = false;
  for (let pos = 0; pos <= n; ) {
    let nl = s.indexOf("\n", pos);
    if (nl < 0) nl = n;
    // Only lines whose first non-space character (within 3 spaces) is ` ~ or < matter,
    // plus blank lines: look at that character before slicing anything.
    let q = pos;
    while (q < nl && q - pos < 4 && s.charCodeAt(q) === 32) q++;
    const c = q < nl ? s.charCodeAt(q) : -1;
    const marker = q - pos <= 3 && (c === 96 || c === 126);
    if (fence) {
      if (marker) {
        const m = FENCE_CLOSE.exec(s.slice(pos, nl));
        if (m && m[1]![0] === fence.ch && Math.min(m[1]!.length, RUN_CAP) >= fence.len) {
          fence = null;
          rangeStart = nl; // the closing line itself is inert, the newline after it is not
        }
      }
    } else if (c === -1 || c === 32 || c === 9 || c === 13) {
      if (s.slice(q, nl).trim() === "") htmlSinceBlank = false;
    } else if (marker) {
      const m = FENCE_OPEN.exec(s.slice(pos, nl));
      const ch = m?.[1]![0];
      if (m && !htmlSinceBlank && !(ch === "`" && m[2]!.includes("`"))) {
        ranges.push([rangeStart, pos]);
        fence = { ch: ch!, len: Math.min(m[1]!.length, RUN_CAP) };
      }
    } else if (c === 60 && q - pos <= 3) htmlSinceBlank = true;
    pos = nl + 1;
  }
  if (!fence) ranges.push([rangeStart, n]);
  return ranges.filter(([a, b]) => b > a);
}

function stripActiveHtml(s: string, removed: SanitizeResult["removed"]): string {
  if (!s.includes("<") && !s.includes("]")) return s;
  const ranges = unfencedRanges(s);
  let out = "";
  let last = 0;
  for (const [a, b] of ranges) {
    out += s.slice(last, a) + stripSegment(s.slice(a, b), removed);
    last = b;
  }
  return out + s.slice(last);
}

const TAG_START_CHAR = /[A-Za-z/!?]/;
/** Tag parsing may read this many times the segment length in total (then: panic mode). */
const PARSE_BUDGET_FACTOR = 4;
const TAIL = 256;

/**
 * Output pieces, and the last TAIL characters of them (reading the tail of a growing string
 * would flatten it on every removal: quadratic). A class rather than local closures: those
 * cost a helper call each time they are created in bundles that keep function names.
 */
class Pieces {
  readonly parts: string[] = [];
  tail = "";

  push(str: string): void {
    if (!str) return;
    this.parts.push(str);
    this.tail = str.length >= TAIL ? str.slice(-TAIL) : (this.tail + str).slice(-TAIL);
  }

  /**
   * A removal must not glue what precedes it to what follows: when the kept text ends
   * inside something tag-like ("<", "</", "<img o"), a space keeps the halves apart.
   */
  emit(str: string): void {
    const tail = this.tail;
    const lt = tail.lastIndexOf("<");
    if (lt >= 0 && !tail.includes(">", lt) && (lt === tail.length - 1 || TAG_START_CHAR.test(tail[lt + 1]!))) this.push(" ");
    this.push(str);
  }
}

/** ASCII letters only, as HTML tag names: the result has the length of the input. */
const lowerAscii = (seg: string) => seg.replace(/[A-Z]+/g, toLower);
const toLower = (m: string) => m.toLowerCase();

function stripSegment(seg: string, removed: SanitizeResult["removed"]): string {
  const o = new Pieces();
  let out: string;
  if (seg.includes("<")) {
    let lower: string | undefined; // lowerAscii(seg), computed when first needed
    // No tag can end after the last ">". And tag parsing gets a total budget: adversarial
    // input ("<a title=\"" x 1000) could otherwise rescan the same tail from every "<".
    const lastGt = seg.lastIndexOf(">");
    let budget = PARSE_BUDGET_FACTOR * seg.length + 4096;
    // name -> [searchedFrom, closerEnd]: a failed search is reused by later openers.
    const closers = new Map<string, [number, number]>();
    let i = 0; // seg[0, i) is handled (in out)
    let from = 0; // where to look for the next "<"
    for (let lt = seg.indexOf("<", from); lt >= 0 && lt < lastGt; lt = seg.indexOf("<", from)) {
      from = lt + 1;
      if (budget <= 0) {
        // Out of budget: make every remaining "<" inert instead of parsing it.
        const rest = seg.slice(i).replace(/<(?=[A-Za-z/!?])/g, () => {
          removed.html++;
          return "< ";
        });
        o.push(rest);
        i = seg.length;
        break;
      }
      const c1 = seg.charCodeAt(lt + 1);
      if (isAsciiLetter(c1)) {
        const tag = parseStartTag(seg, lt, lt + budget);
        budget -= (tag ? tag.end : seg.length) - lt;
        if (!tag) continue; // cut by the end of input: the browser drops it, nothing to run
        o.push(seg.slice(i, lt));
        i = from = tag.end;
        if (CONTENT_ELEMENTS.has(tag.name)) {
          const memo = closers.get(tag.name);
          let closeEnd: number;
          if (memo && (memo[1] < 0 || memo[1] > tag.end)) closeEnd = memo[1];
          else {
            closeEnd = findClosingTag((lower ??= lowerAscii(seg)), tag.name, tag.end);
            closers.set(tag.name, [tag.end, closeEnd]);
          }
          removed.html++;
          if (closeEnd >= 0) {
            o.emit("");
            i = from = closeEnd;
          } else o.emit(tag.attrs.length === 0 ? tag.name : ""); // "a <script> tag" is prose about HTML
          continue;
        }
        if (TAG_ELEMENTS.has(tag.name)) {
          removed.html++;
          o.emit(tag.attrs.length === 0 ? tag.name : "");
          continue;
        }
        const kept = tag.attrs.filter((a) => !isDangerousAttr(a.name, a.value));
        if (kept.length !== tag.attrs.length) {
          removed.html += tag.attrs.length - kept.length;
          o.push(seg.slice(lt, tag.nameEnd) + kept.map((a) => seg.slice(a.from, a.to)).join("") + seg.slice(tag.lastAttrEnd, tag.end));
        } else o.push(seg.slice(lt, tag.end));
        continue;
      }
      if (c1 === 0x2f && isAsciiLetter(seg.charCodeAt(lt + 2))) {
        const gt = seg.indexOf(">", lt);
        if (gt < 0) continue;
        const m = /^[^\s/>]+/.exec((lower ??= lowerAscii(seg)).slice(lt + 2, gt));
        if (m && isActiveElement(m[0])) {
          removed.html++;
          o.push(seg.slice(i, lt));
          o.emit("");
          i = from = gt + 1;
        }
      }
    }
    o.push(seg.slice(i));
    out = o.parts.join("");
  } else out = seg;
  // "#" in place of the scheme: the link becomes an inert fragment and cannot re-form.
  // test() first: the replacement callback is a closure, costly to create for nothing.
  MD_DANGEROUS_LINK.lastIndex = 0;
  if (!MD_DANGEROUS_LINK.test(out)) return out;
  MD_DANGEROUS_LINK.lastIndex = 0;
  return out.replace(MD_DANGEROUS_LINK, (_m, ctx: string) => {
    removed.html++;
    return ctx + "#";
  });
}

/** End of "</name ...>" after `from` (HTML: the name must be followed by space, / or >). */
function findClosingTag(lower: string, name: string, from: number): number {
  const needle = "</" + name;
  for (let at = lower.indexOf(needle, from); at >= 0; at = lower.indexOf(needle, at + 1)) {
    const c = lower.charCodeAt(at + needle.length);
    if (isHtmlSpace(c) || c === 0x2f || c === 0x3e) {
      const gt = lower.indexOf(">", at);
      return gt < 0 ? -1 : gt + 1;
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------
// Runs

/** Sampling step for run detection: must be even (pairs) and at most RUN_CAP / 2. */
const RUN_STEP = 10;

/**
 * Caps runs without reading every character: a run of more than RUN_CAP (>= 2 * RUN_STEP)
 * code units always contains two sampled positions RUN_STEP apart that hold the same
 * unit, so only those places are examined. A surrogate pair counts as one character, so
 * emoji runs are capped too (RUN_STEP is even).
 */
function capRuns(s: string, removed: SanitizeResult["removed"]): string {
  const n = s.length;
  let out = "";
  let last = 0; // s[last, …) not yet copied
  for (let k = 0; k + RUN_STEP < n; k += RUN_STEP) {
    const c = s.charCodeAt(k);
    if (s.charCodeAt(k + RUN_STEP) !== c) continue;
    // The unit at k: one code unit, or the surrogate pair k belongs to.
    let p = k;
    let width = 1;
    if (c >= 0xdc00 && c <= 0xdfff && k > 0 && s.charCodeAt(k - 1) >= 0xd800 && s.charCodeAt(k - 1) <= 0xdbff) p = k - 1;
    const hi = s.charCodeAt(p);
    if (hi >= 0xd800 && hi <= 0xdbff && p + 1 < n) width = 2;
    const lo = s.charCodeAt(p + 1);
    // Inline comparisons, no local closure: bundlers that keep function names (wrangler)
    // would wrap one in a helper call at every sampled pair.
    let a = p;
    while (a - width >= last && s.charCodeAt(a - width) === hi && (width === 1 || s.charCodeAt(a - width + 1) === lo)) a -= width;
    let b = p + width;
    while (b + width <= n && s.charCodeAt(b) === hi && (width === 1 || s.charCodeAt(b + 1) === lo)) b += width;
    const limit = hi === 0x20 || hi === 0x09 ? WHITESPACE_RUN_CAP : RUN_CAP;
    if ((b - a) / width > limit) {
      out += s.slice(last, a + limit * width);
      last = b;
      removed.runsCapped++;
    }
    if (b > k + RUN_STEP) k = b - (b % RUN_STEP) - RUN_STEP; // resume at the first sample >= b
  }
  return last === 0 ? s : out + s.slice(last);
}
