/**
 * Streaming exact-substring matcher (Knuth-Morris-Pratt) for the per-request canary and
 * the Worker's own secret values. Its state is also the hold-back: the length of the
 * longest suffix of the stream that is a prefix of the literal.
 */
export class LiteralMatcher {
  /** KMP failure function; with `first`, read by the output filter's inline step. */
  readonly fail: Int32Array;
  /** The literal's first unit (-1: empty literal). */
  readonly first: number;
  /** Characters of the literal matched by the end of the stream so far. */
  matched = 0;

  constructor(readonly literal: string) {
    const n = literal.length;
    this.fail = new Int32Array(n);
    let k = 0;
    for (let i = 1; i < n; i++) {
      while (k > 0 && literal.charCodeAt(i) !== literal.charCodeAt(k)) k = this.fail[k - 1]!;
      if (literal.charCodeAt(i) === literal.charCodeAt(k)) k++;
      this.fail[i] = k;
    }
    this.first = n > 0 ? literal.charCodeAt(0) : -1;
  }

  /** Feeds one UTF-16 unit; true when the whole literal has just been seen. */
  feed(code: number): boolean {
    const lit = this.literal;
    let k = this.matched;
    if (k === lit.length) k = this.fail[k - 1]!;
    while (k > 0 && code !== lit.charCodeAt(k)) k = this.fail[k - 1]!;
    if (code === lit.charCodeAt(k)) k++;
    this.matched = k;
    return k === lit.length;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `literal` (one-shot). */
export function literalPrefixSuffix(text: string, literal: string): number {
  for (let k = Math.min(literal.length - 1, text.length); k > 0; k--) {
    if (text.endsWith(literal.slice(0, k))) return k;
  }
  return 0;
}

/**
 * Several literals at once: an Aho-Corasick automaton expanded into a full transition
 * table, so each character costs one table read whatever the number of literals. The
 * Worker's own secret values are the same for every request, so it is built once per
 * set of values and shared (see literalSetFor).
 */
export class LiteralSet {
  /** Transition table: next state = delta[state * classes + classOf(code)]. */
  private readonly delta: Int32Array;
  private readonly classes: number;
  /** Class of each ASCII code (0: in no literal); other codes go through `wide`. */
  private readonly ascii = new Int32Array(128);
  private readonly wide = new Map<number, number>();
  /** Depth of each state: the longest suffix of the stream that is a prefix of a literal. */
  readonly depth: Int32Array;
  /** Length of the longest literal ending at each state (0: none). */
  readonly hitLength: Int32Array;
  /**
   * State after the start state reads each ASCII unit: most characters of an answer are
   * read in the start state (no literal under way), at the cost of one table read.
   */
  readonly rootAscii = new Int32Array(128);

  constructor(readonly literals: readonly string[]) {
    let classes = 1;
    const classOf = (code: number, add: boolean): number => {
      let c = code < 128 ? this.ascii[code]! : (this.wide.get(code) ?? 0);
      if (c === 0 && add) {
        c = classes++;
        if (code < 128) this.ascii[code] = c;
        else this.wide.set(code, c);
      }
      return c;
    };
    // Trie (edges in maps, build time only).
    const edges: Map<number, number>[] = [new Map()];
    const depth: number[] = [0];
    const ends: boolean[] = [false];
    for (const lit of literals) {
      let s = 0;
      for (let i = 0; i < lit.length; i++) {
        const c = classOf(lit.charCodeAt(i), true);
        let t = edges[s]!.get(c);
        if (t === undefined) {
          t = edges.length;
          edges.push(new Map());
          depth.push(depth[s]! + 1);
          ends.push(false);
          edges[s]!.set(c, t);
        }
        s = t;
      }
      ends[s] = true;
    }
    const states = edges.length;
    this.classes = classes;
    this.delta = new Int32Array(states * classes);
    this.depth = Int32Array.from(depth);
    this.hitLength = new Int32Array(states);
    const fail = new Int32Array(states);
    // Breadth-first: a state's failure target is shallower, so already complete.
    const queue: number[] = [];
    for (const [c, t] of edges[0]!) {
      this.delta[c] = t;
      queue.push(t);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      const f = fail[s]!;
      this.hitLength[s] = ends[s] ? depth[s]! : this.hitLength[f]!;
      const row = s * classes;
      this.delta.set(this.delta.subarray(f * classes, f * classes + classes), row);
      for (const [c, t] of edges[s]!) {
        fail[t] = this.delta[f * classes + c]!;
        this.delta[row + c] = t;
        queue.push(t);
      }
    }
    for (let code = 0; code < 128; code++) this.rootAscii[code] = this.delta[this.ascii[code]!]!;
  }

  /** State after `state` reads the UTF-16 unit `code` (start state: 0). */
  step(state: number, code: number): number {
    const c = code < 128 ? this.ascii[code]! : (this.wide.get(code) ?? 0);
    return this.delta[state * this.classes + c]!;
  }
}

const literalSets = new Map<string, LiteralSet>();
const MAX_CACHED_SETS = 8;

/** Shared automaton for a list of literals (the Worker's secrets change only with its configuration). */
export function literalSetFor(literals: readonly string[]): LiteralSet {
  const key = literals.map((l) => `${l.length}:${l}`).join("");
  let set = literalSets.get(key);
  if (!set) {
    set = new LiteralSet(literals);
    if (literalSets.size >= MAX_CACHED_SETS) literalSets.delete(literalSets.keys().next().value!);
    literalSets.set(key, set);
  }
  return set;
}
