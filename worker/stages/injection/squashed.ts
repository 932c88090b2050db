/**
 * The squashed view ("i g n o r e" -> "ignore") and, in the same pass, every occurrence of a
 * fixed set of key strings in it (Aho-Corasick over [a-z0-9]). One pass replaces one
 * `includes()` per key string, each a full scan of a 10,000-character text.
 */

/** a-z -> 0..25, 0-9 -> 26..35, anything else -1 (never in a words view besides the space). */
const SYMBOL = new Int8Array(128).fill(-1);
for (let c = 0; c < 26; c++) SYMBOL[97 + c] = c;
for (let c = 0; c < 10; c++) SYMBOL[48 + c] = 26 + c;
const ALPHABET = 36;

export interface Automaton {
  /** Transition table: state * ALPHABET + symbol -> state. */
  delta: Int32Array;
  /** Per state: start of its outputs in `outIds`, and how many (own and inherited through fail links). */
  outStart: Int32Array;
  outCount: Int32Array;
  outIds: Int32Array;
  /** Pattern lengths, by id. */
  lengths: Int32Array;
}

/** Builds the automaton for `patterns` (ids = indices). Patterns must be non-empty [a-z0-9]. */
export function buildAutomaton(patterns: readonly string[]): Automaton {
  const goto: number[][] = [new Array(ALPHABET).fill(-1)];
  const own: number[][] = [[]];
  patterns.forEach((p, id) => {
    if (p.length === 0) throw new Error("automaton: empty pattern");
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      const sym = SYMBOL[p.charCodeAt(i)] ?? -1;
      if (sym < 0) throw new Error(`automaton: "${p}" is not [a-z0-9]`);
      let next = goto[s]![sym]!;
      if (next < 0) {
        next = goto.length;
        goto.push(new Array(ALPHABET).fill(-1));
        own.push([]);
        goto[s]![sym] = next;
      }
      s = next;
    }
    own[s]!.push(id);
  });
  const n = goto.length;
  const delta = new Int32Array(n * ALPHABET);
  const fail = new Int32Array(n);
  const outputs: number[][] = own.map((o) => [...o]);
  const queue: number[] = [];
  for (let a = 0; a < ALPHABET; a++) {
    const next = goto[0]![a]!;
    delta[a] = next < 0 ? 0 : next;
    if (next > 0) queue.push(next);
  }
  for (let q = 0; q < queue.length; q++) {
    const s = queue[q]!;
    outputs[s]!.push(...outputs[fail[s]!]!);
    for (let a = 0; a < ALPHABET; a++) {
      const next = goto[s]![a]!;
      if (next < 0) delta[s * ALPHABET + a] = delta[fail[s]! * ALPHABET + a]!;
      else {
        delta[s * ALPHABET + a] = next;
        fail[next] = delta[fail[s]! * ALPHABET + a]!;
        queue.push(next);
      }
    }
  }
  const outStart = new Int32Array(n);
  const outCount = new Int32Array(n);
  const ids: number[] = [];
  for (let s = 0; s < n; s++) {
    outStart[s] = ids.length;
    outCount[s] = outputs[s]!.length;
    ids.push(...outputs[s]!);
  }
  return { delta, outStart, outCount, outIds: Int32Array.from(ids), lengths: Int32Array.from(patterns.map((p) => p.length)) };
}

export interface SquashedScan {
  /** The words view without its spaces. */
  text: string;
  /** Per pattern id: end offsets (exclusive) of its occurrences in `text`, ascending. */
  ends: Array<number[] | undefined>;
}

const ASCII = new TextDecoder("utf-8");

/** Squashes a words view (lowercase ASCII words, single spaces) and finds the automaton's patterns in it. */
export function squashScan(words: string, ac: Automaton): SquashedScan {
  const out = new Uint8Array(words.length);
  const ends: Array<number[] | undefined> = [];
  const { delta, outStart, outCount, outIds } = ac;
  let k = 0;
  let state = 0;
  for (let i = 0; i < words.length; i++) {
    const c = words.charCodeAt(i);
    if (c === 32) continue;
    out[k++] = c;
    const sym = c < 128 ? SYMBOL[c]! : -1;
    state = sym < 0 ? 0 : delta[state * ALPHABET + sym]!;
    const count = outCount[state]!;
    if (count !== 0) {
      const start = outStart[state]!;
      for (let j = start; j < start + count; j++) (ends[outIds[j]!] ??= []).push(k);
    }
  }
  return { text: ASCII.decode(out.subarray(0, k)), ends };
}
