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
  /**
   * The same transitions for the scan loop: row (state * ALPHABET) + symbol -> next row * 2,
   * plus 1 when the next state has outputs. Saves a multiply and a table read per character.
   */
  rows: Int32Array;
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
  const rows = new Int32Array(delta.length);
  for (let j = 0; j < delta.length; j++) rows[j] = delta[j]! * ALPHABET * 2 + (outCount[delta[j]!]! > 0 ? 1 : 0);
  return { delta, rows, outStart, outCount, outIds: Int32Array.from(ids), lengths: Int32Array.from(patterns.map((p) => p.length)) };
}

export interface SquashedScan {
  /** The words view without its spaces. */
  text: string;
  /** Per pattern id: end offsets (exclusive) of its occurrences in `text`, ascending. */
  ends: Array<number[] | undefined>;
}

const ASCII = new TextDecoder("utf-8");

/** Scratch for the squashed text (decoded into a string before returning). */
let OUT = new Uint8Array(1024);

/** Squashes a words view (lowercase ASCII words, single spaces) and finds the automaton's patterns in it. */
export function squashScan(words: string, ac: Automaton): SquashedScan {
  if (OUT.length < words.length) OUT = new Uint8Array(words.length + 1024);
  const out = OUT;
  const ends: Array<number[] | undefined> = [];
  const { rows, outStart, outCount, outIds } = ac;
  let k = 0;
  let row = 0;
  for (let i = 0; i < words.length; i++) {
    const c = words.charCodeAt(i);
    if (c === 32) continue;
    out[k++] = c;
    const sym = c < 128 ? SYMBOL[c]! : -1;
    if (sym < 0) {
      row = 0;
      continue;
    }
    const v = rows[row + sym]!;
    row = v >> 1;
    if ((v & 1) !== 0) {
      const state = row / ALPHABET;
      const start = outStart[state]!;
      const end = start + outCount[state]!;
      for (let j = start; j < end; j++) (ends[outIds[j]!] ??= []).push(k);
    }
  }
  return { text: ASCII.decode(out.subarray(0, k)), ends };
}
