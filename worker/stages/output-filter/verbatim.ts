/**
 * Verbatim-span detection against one text (the system prompt), streaming.
 *
 * Both texts are normalized the same way (lowercase, accents folded, every run of
 * non-alphanumerics collapsed to one space) so formatting changes do not hide a copy.
 * A suffix automaton of the normalized prompt, built once per request, gives after each
 * output character the longest suffix of the output that occurs anywhere in the prompt:
 * that length is both the detector (>= minimum span) and the exact hold-back (the tail
 * that could still grow into a copy). Linear in prompt and output length.
 */

export const SEPARATOR = 32;

const foldCache = new Map<string, number>();
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const COMBINING = /\p{M}/gu;

/** Normalized code of one UTF-16 unit: a lowercase letter/digit, or SEPARATOR. */
export function normalizeCode(code: number, ch: string): number {
  if (code < 128) {
    if (code >= 65 && code <= 90) return code + 32;
    if ((code >= 97 && code <= 122) || (code >= 48 && code <= 57)) return code;
    return SEPARATOR;
  }
  if (code >= 0xd800 && code <= 0xdfff) return SEPARATOR; // astral (emoji...): punctuation-like
  let folded = foldCache.get(ch);
  if (folded === undefined) {
    COMBINING.lastIndex = 0;
    const base = ch.normalize("NFD").replace(COMBINING, "").toLowerCase();
    folded = base.length > 0 && LETTER_OR_DIGIT.test(base[0]!) ? base.charCodeAt(0) : SEPARATOR;
    // Bounded: a document uses few distinct non-ASCII characters.
    if (foldCache.size < 4096) foldCache.set(ch, folded);
  }
  return folded;
}

/** Normalized codes of a whole text (separators collapsed). */
export function normalizeCodes(text: string): number[] {
  const out: number[] = [];
  let lastSep = false;
  for (let i = 0; i < text.length; i++) {
    const n = normalizeCode(text.charCodeAt(i), text[i]!);
    if (n === SEPARATOR) {
      if (lastSep) continue;
      lastSep = true;
    } else lastSep = false;
    out.push(n);
  }
  return out;
}

/** Suffix automaton over normalized codes. */
export class SuffixAutomaton {
  readonly next: Map<number, number>[] = [new Map()];
  readonly link: number[] = [-1];
  readonly len: number[] = [0];

  constructor(codes: readonly number[]) {
    let last = 0;
    for (const c of codes) last = this.extend(last, c);
  }

  private extend(last: number, c: number): number {
    const { next, link, len } = this;
    const cur = next.length;
    next.push(new Map());
    len.push(len[last]! + 1);
    link.push(0);
    let p = last;
    while (p !== -1 && !next[p]!.has(c)) {
      next[p]!.set(c, cur);
      p = link[p]!;
    }
    if (p !== -1) {
      const q = next[p]!.get(c)!;
      if (len[p]! + 1 === len[q]) link[cur] = q;
      else {
        const clone = next.length;
        next.push(new Map(next[q]!));
        len.push(len[p]! + 1);
        link.push(link[q]!);
        while (p !== -1 && next[p]!.get(c) === q) {
          next[p]!.set(c, clone);
          p = link[p]!;
        }
        link[q] = clone;
        link[cur] = clone;
      }
    }
    return cur;
  }
}

/**
 * Streaming matcher: feed original characters with their absolute offsets; it reports the
 * offset where the current verbatim run starts (for hold-back) and whether it reached the
 * minimum span.
 */
export class VerbatimMatcher {
  private state = 0;
  private matched = 0;
  private lastSep = false;
  private count = 0;
  /** Original offset of each of the last `ring.length` normalized characters. */
  private readonly ring: Int32Array;

  constructor(
    private readonly sam: SuffixAutomaton,
    readonly minSpan: number,
  ) {
    this.ring = new Int32Array(minSpan + 1);
  }

  /** Feeds one UTF-16 unit; returns true when the verbatim run reaches minSpan. */
  feed(code: number, ch: string, offset: number): boolean {
    const n = normalizeCode(code, ch);
    if (n === SEPARATOR) {
      if (this.lastSep) return false;
      this.lastSep = true;
    } else this.lastSep = false;
    this.ring[this.count % this.ring.length] = offset;
    this.count++;
    const { next, link, len } = this.sam;
    let s = this.state;
    while (s !== 0 && !next[s]!.has(n)) {
      s = link[s]!;
      this.matched = len[s]!;
    }
    const to = next[s]!.get(n);
    if (to !== undefined) {
      this.state = to;
      this.matched++;
    } else {
      this.state = 0;
      this.matched = 0;
    }
    return this.matched >= this.minSpan;
  }

  /** Original offset where the current verbatim run starts, or undefined if none. */
  runStart(): number | undefined {
    if (this.matched === 0) return undefined;
    // A run longer than the ring only happens in one-shot use; its last minSpan chars suffice.
    const back = Math.min(this.matched, this.ring.length - 1);
    return this.ring[(this.count - back) % this.ring.length];
  }
}

/** One-shot: offset in `text` where its longest suffix found in the automaton starts. */
export function verbatimSuffixStart(sam: SuffixAutomaton, minSpan: number, text: string, base: number): number | undefined {
  const m = new VerbatimMatcher(sam, minSpan);
  for (let i = 0; i < text.length; i++) m.feed(text.charCodeAt(i), text[i]!, base + i);
  return m.runStart();
}
