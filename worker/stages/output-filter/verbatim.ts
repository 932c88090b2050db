/**
 * Verbatim-span detection against one text (the system prompt), streaming.
 *
 * Both texts are normalized the same way (lowercase, accents folded, every run of
 * non-alphanumerics collapsed to one space) so formatting changes do not hide a copy.
 * A suffix automaton of the normalized prompt, built once per prompt template, gives after
 * each output character the longest suffix of the output that occurs anywhere in the
 * prompt: that length is both the detector (>= minimum span) and the exact hold-back (the
 * tail that could still grow into a copy). Linear in prompt and output length.
 */

export const SEPARATOR = 32;

/**
 * Folded code per UTF-16 unit, filled on first use (0 = not computed yet): the fold goes
 * through normalize("NFD") and two regexes, far too slow to redo for every character.
 */
const FOLD = new Uint16Array(0x10000);
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const COMBINING = /\p{M}/gu;

function foldSlow(code: number): number {
  if (code >= 0xd800 && code <= 0xdfff) return SEPARATOR; // astral (emoji...): punctuation-like
  COMBINING.lastIndex = 0;
  const base = String.fromCharCode(code).normalize("NFD").replace(COMBINING, "").toLowerCase();
  return base.length > 0 && LETTER_OR_DIGIT.test(base[0]!) ? base.charCodeAt(0) : SEPARATOR;
}

/** 1 for the ASCII units that normalize to SEPARATOR (everything but letters and digits). */
export const ASCII_SEPARATOR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII_SEPARATOR[c] = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 0 : 1;
}

/** Normalized code of one UTF-16 unit: a lowercase letter/digit, or SEPARATOR. */
export function normalizeCode(code: number): number {
  if (code < 128) {
    if (code >= 65 && code <= 90) return code + 32;
    if ((code >= 97 && code <= 122) || (code >= 48 && code <= 57)) return code;
    return SEPARATOR;
  }
  let folded = FOLD[code]!;
  if (folded === 0) FOLD[code] = folded = foldSlow(code);
  return folded;
}

/** Normalized codes of a whole text (separators collapsed). */
export function normalizeCodes(text: string): number[] {
  const out: number[] = [];
  let lastSep = false;
  for (let i = 0; i < text.length; i++) {
    const n = normalizeCode(text.charCodeAt(i));
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
  /**
   * The streaming matcher's form, built once with the automaton (it is shared by every
   * request on the same prompt template): a full transition table over the prompt's
   * alphabet with the suffix-link fallbacks already resolved, so a character costs two
   * table reads instead of a walk up the suffix links with a Map lookup at each step.
   * For state s and class c, at i = s * classes + c: the next state and the run length
   * after the step, or -1 when the prompt continues the current run (run + 1), packed in
   * one int32 as next << 16 | (run & 0xffff) (half the memory, one read: the table is
   * read at random). Prompts too large for 16 bits use `wideTable` (pairs) instead.
   */
  readonly classes: number;
  readonly table: Int32Array;
  readonly wideTable: Int32Array | undefined;
  /** Class of each ASCII unit (0: not in the prompt); the separator's class is SEPARATOR's. */
  readonly asciiClass = new Int32Array(128);
  private readonly wideClass = new Map<number, number>();

  constructor(codes: readonly number[]) {
    let last = 0;
    for (const c of codes) last = this.extend(last, c);

    // Alphabet: each normalized code of the prompt gets a class; 0 is "anything else".
    const classOfCode = new Map<number, number>();
    for (const c of codes) if (!classOfCode.has(c)) classOfCode.set(c, classOfCode.size + 1);
    this.classes = classOfCode.size + 1;
    for (let code = 0; code < 128; code++) this.asciiClass[code] = classOfCode.get(normalizeCode(code)) ?? 0;
    for (const [c, k] of classOfCode) if (c >= 128) this.wideClass.set(c, k);

    const states = this.next.length;
    const K = this.classes;
    const packed = states < 0x8000 && codes.length < 0xffff;
    const table = new Int32Array(2 * states * K);
    // resolved[s, c]: where reading c leads after falling back from s along suffix links,
    // and the run length then (len + 1 of the state that had the edge; 0 if none had).
    const resolvedTo = new Int32Array(states * K);
    const resolvedRun = new Int32Array(states * K);
    // Suffix links point to shorter states: process states by increasing length.
    const order = Array.from({ length: states }, (_, i) => i).sort((a, b) => this.len[a]! - this.len[b]!);
    for (const s of order) {
      const row = s * K;
      const parent = this.link[s]!;
      if (parent >= 0) {
        resolvedTo.set(resolvedTo.subarray(parent * K, parent * K + K), row);
        resolvedRun.set(resolvedRun.subarray(parent * K, parent * K + K), row);
      }
      for (let k = 0; k < K; k++) {
        table[2 * (row + k)] = resolvedTo[row + k]!;
        table[2 * (row + k) + 1] = resolvedRun[row + k]!;
      }
      for (const [c, t] of this.next[s]!) {
        const k = classOfCode.get(c)!;
        resolvedTo[row + k] = t;
        resolvedRun[row + k] = this.len[s]! + 1;
        table[2 * (row + k)] = t;
        table[2 * (row + k) + 1] = -1;
      }
    }
    if (packed) {
      this.table = new Int32Array(states * K);
      for (let i = 0; i < states * K; i++) this.table[i] = (table[2 * i]! << 16) | (table[2 * i + 1]! & 0xffff);
      this.wideTable = undefined;
    } else {
      this.table = new Int32Array(0);
      this.wideTable = table;
    }
  }

  /** Class of a normalized code (see asciiClass for raw ASCII units). */
  classOf(normalized: number): number {
    return normalized < 128 ? this.asciiClass[normalized]! : (this.wideClass.get(normalized) ?? 0);
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
  /** Normalized characters of the current run (longest stream suffix found in the prompt). */
  matched = 0;
  private lastSep = false;
  /** Next slot of `ring`. */
  private slot = 0;
  /** Original offset of each of the last `ring.length` normalized characters. */
  private readonly ring: Int32Array;
  private readonly sepClass: number;

  constructor(
    private readonly sam: SuffixAutomaton,
    readonly minSpan: number,
  ) {
    this.ring = new Int32Array(minSpan + 1);
    this.sepClass = sam.asciiClass[SEPARATOR]!;
  }

  /** Feeds one UTF-16 unit; returns true when the verbatim run reaches minSpan. */
  feed(code: number, offset: number): boolean {
    const sam = this.sam;
    let cls: number;
    let sep: boolean;
    if (code < 128) {
      cls = sam.asciiClass[code]!;
      // Separator class 0 only when the prompt has no separator at all.
      sep = cls === this.sepClass && (cls !== 0 || normalizeCode(code) === SEPARATOR);
    } else {
      const n = normalizeCode(code);
      sep = n === SEPARATOR;
      cls = sep ? this.sepClass : sam.classOf(n);
    }
    if (sep) {
      if (this.lastSep) return false;
      this.lastSep = true;
    } else this.lastSep = false;
    const ring = this.ring;
    ring[this.slot] = offset;
    this.slot = this.slot + 1 === ring.length ? 0 : this.slot + 1;
    const at = this.state * sam.classes + cls;
    let run: number;
    if (sam.wideTable === undefined) {
      const entry = sam.table[at]!;
      this.state = entry >>> 16;
      run = (entry << 16) >> 16; // sign-extends the low half: 0xffff is -1
    } else {
      run = sam.wideTable[2 * at + 1]!;
      this.state = sam.wideTable[2 * at]!;
    }
    this.matched = run < 0 ? this.matched + 1 : run;
    return this.matched >= this.minSpan;
  }

  /** Original offset where the current verbatim run starts, or undefined if none. */
  runStart(): number | undefined {
    if (this.matched === 0) return undefined;
    // A run longer than the ring only happens in one-shot use; its last minSpan chars suffice.
    const size = this.ring.length;
    const back = Math.min(this.matched, size - 1);
    // slot - back > -size: one addition wraps it (no integer division on the hot path).
    const at = this.slot - back;
    return this.ring[at < 0 ? at + size : at];
  }
}

/** One-shot: offset in `text` where its longest suffix found in the automaton starts. */
export function verbatimSuffixStart(sam: SuffixAutomaton, minSpan: number, text: string, base: number): number | undefined {
  const m = new VerbatimMatcher(sam, minSpan);
  for (let i = 0; i < text.length; i++) m.feed(text.charCodeAt(i), base + i);
  return m.runStart();
}
