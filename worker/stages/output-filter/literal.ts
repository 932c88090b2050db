/**
 * Streaming exact-substring matcher (Knuth-Morris-Pratt) for the per-request canary and
 * the Worker's own secret values. Its state is also the hold-back: the length of the
 * longest suffix of the stream that is a prefix of the literal.
 */
export class LiteralMatcher {
  private readonly fail: Int32Array;
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
