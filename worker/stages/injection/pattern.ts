/**
 * A small reader for the rule regexes (rules.ts), used once at module load to bound where a
 * match can lie, so that a rule's regex only runs next to its anchor words instead of over the
 * whole text (index.ts). It reads the subset of JavaScript regex syntax the rules use; on
 * anything else it throws, and the caller falls back to scanning the whole text.
 *
 * Facts computed, all conservative:
 *   maxSpaces   how many spaces a match can contain (Infinity when unbounded)
 *   maxLength   how many characters a match can contain (Infinity when unbounded)
 *   first       the characters a match can begin with (ASCII; `other` for anything else)
 *   leadB/trailB every match starts / ends with a \b assertion
 */

export type Node =
  | { type: "chars"; set: CharSet }
  | { type: "seq"; items: Node[] }
  | { type: "alt"; alts: Node[] }
  | { type: "repeat"; node: Node; min: number; max: number }
  | { type: "look"; node: Node; ahead: boolean; negative: boolean }
  | { type: "assert"; kind: "b" | "B" | "^" | "$" };

/** ASCII membership, plus whether some non-ASCII character also matches. */
export interface CharSet {
  ascii: Uint8Array;
  other: boolean;
}

const setOf = (test: (c: number) => boolean, other: boolean): CharSet => {
  const ascii = new Uint8Array(128);
  for (let c = 0; c < 128; c++) ascii[c] = test(c) ? 1 : 0;
  return { ascii, other };
};
const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpaceChar = (c: number) => c === 32 || (c >= 9 && c <= 13);
const ESCAPE_CLASSES: Record<string, CharSet> = {
  d: setOf((c) => c >= 48 && c <= 57, false),
  D: setOf((c) => !(c >= 48 && c <= 57), true),
  w: setOf(isWordChar, false),
  W: setOf((c) => !isWordChar(c), true),
  s: setOf(isSpaceChar, true),
  S: setOf((c) => !isSpaceChar(c), true),
};
const CONTROL_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11, "0": 0 };

/** One shared set per literal character (sets are never mutated). */
const SINGLE = new Map<number, CharSet>();
const SINGLE_I = new Map<number, CharSet>();

export function parsePattern(source: string, ignoreCase = false): Node {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`pattern: unsupported ${what} at ${i} in /${source.slice(0, 80)}/`);
  };
  const single = (code: number): CharSet => {
    const cache = ignoreCase ? SINGLE_I : SINGLE;
    const hit = cache.get(code);
    if (hit) return hit;
    const ascii = new Uint8Array(128);
    if (code < 128) {
      ascii[code] = 1;
      if (ignoreCase && code >= 65 && code <= 90) ascii[code + 32] = 1;
      if (ignoreCase && code >= 97 && code <= 122) ascii[code - 32] = 1;
    }
    const set = { ascii, other: code >= 128 };
    cache.set(code, set);
    return set;
  };
  const hex = (n: number) => {
    const h = source.slice(i, i + n);
    if (!/^[0-9a-fA-F]+$/.test(h) || h.length !== n) fail("escape");
    i += n;
    return parseInt(h, 16);
  };
  /** After a backslash: a class or one code point. */
  const escape = (inClass: boolean): CharSet | number => {
    const c = source[i++];
    if (c === undefined) return fail("trailing backslash");
    if (ESCAPE_CLASSES[c]) return ESCAPE_CLASSES[c];
    if (c in CONTROL_ESCAPES) return CONTROL_ESCAPES[c]!;
    if (c === "x") return hex(2);
    if (c === "u") return hex(4);
    if (c === "b" && inClass) return 8;
    if (/[\\/.^$|?*+()[\]{}\-]/.test(c)) return c.charCodeAt(0);
    return fail(`escape \\${c}`);
  };
  const codePointHere = () => {
    const cp = source.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    return cp;
  };
  const charClass = (): Node => {
    const negate = source[i] === "^";
    if (negate) i++;
    const ascii = new Uint8Array(128);
    let other = false;
    const addRange = (a: number, b: number) => {
      for (let c = a; c <= Math.min(b, 127); c++) {
        ascii[c] = 1;
        if (ignoreCase && c >= 65 && c <= 90) ascii[c + 32] = 1;
        if (ignoreCase && c >= 97 && c <= 122) ascii[c - 32] = 1;
      }
      if (b >= 128) other = true;
    };
    let first = true;
    while (source[i] !== "]" || first) {
      first = false;
      if (i >= source.length) fail("unclosed class");
      let lo: number;
      if (source[i] === "\\") {
        i++;
        const e = escape(true);
        if (typeof e !== "number") {
          for (let c = 0; c < 128; c++) if (e.ascii[c]) ascii[c] = 1;
          other ||= e.other;
          continue;
        }
        lo = e;
      } else lo = codePointHere();
      if (source[i] === "-" && source[i + 1] !== "]" && i + 1 < source.length) {
        i++;
        let hi: number;
        if (source[i] === "\\") {
          i++;
          const e = escape(true);
          if (typeof e !== "number") return fail("class range");
          hi = e;
        } else hi = codePointHere();
        addRange(lo, hi);
      } else addRange(lo, lo);
    }
    i++; // "]"
    if (!negate) return { type: "chars", set: { ascii, other } };
    return { type: "chars", set: { ascii: ascii.map((x) => 1 - x), other: true } };
  };
  const atom = (): Node => {
    const c = source[i]!;
    if (c === "(") {
      i++;
      let look: { ahead: boolean; negative: boolean } | undefined;
      if (source.startsWith("?:", i)) i += 2;
      else if (source.startsWith("?=", i) || source.startsWith("?!", i)) {
        look = { ahead: true, negative: source[i + 1] === "!" };
        i += 2;
      } else if (source.startsWith("?<=", i) || source.startsWith("?<!", i)) {
        look = { ahead: false, negative: source[i + 2] === "!" };
        i += 3;
      } else if (source[i] === "?") fail("group kind");
      const inner = alternation();
      if (source[i] !== ")") fail("unclosed group");
      i++;
      return look ? { type: "look", node: inner, ...look } : inner;
    }
    if (c === "[") {
      i++;
      return charClass();
    }
    if (c === ".") {
      i++;
      return { type: "chars", set: setOf((x) => x !== 10 && x !== 13, true) };
    }
    if (c === "^" || c === "$") {
      i++;
      return { type: "assert", kind: c };
    }
    if (c === "\\") {
      i++;
      if (source[i] === "b" || source[i] === "B") return { type: "assert", kind: source[i++] as "b" | "B" };
      const e = escape(false);
      return { type: "chars", set: typeof e === "number" ? single(e) : e };
    }
    if ("*+?{".includes(c)) fail("quantifier position");
    return { type: "chars", set: single(codePointHere()) };
  };
  const quantified = (): Node => {
    const node = atom();
    let min: number;
    let max: number;
    const q = source[i];
    if (q === "?") [min, max] = [0, 1];
    else if (q === "*") [min, max] = [0, Infinity];
    else if (q === "+") [min, max] = [1, Infinity];
    else if (q === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!m) return node;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      i += m[0].length - 1;
    } else return node;
    i++;
    if (source[i] === "?") i++; // lazy: same set of matches
    if (node.type === "assert" || node.type === "look") fail("quantified assertion");
    return { type: "repeat", node, min, max };
  };
  const sequence = (): Node => {
    const items: Node[] = [];
    while (i < source.length && source[i] !== "|" && source[i] !== ")") items.push(quantified());
    return items.length === 1 ? items[0]! : { type: "seq", items };
  };
  function alternation(): Node {
    const alts = [sequence()];
    while (source[i] === "|") {
      i++;
      alts.push(sequence());
    }
    return alts.length === 1 ? alts[0]! : { type: "alt", alts };
  }
  const root = alternation();
  if (i !== source.length) fail("unbalanced )");
  return root;
}

/** Results kept on the nodes themselves: the analyses revisit subtrees. */
type Memo = { spaces?: number; length?: number; nullable?: boolean };
const memoOf = (node: Node): Memo => ((node as { memo?: Memo }).memo ??= {});

/** Most characters matching `set` a match can consume, as counted by `count`. */
function maxCount(node: Node, count: (set: CharSet) => number): number {
  const memo = memoOf(node);
  const key = count === countSpaces ? "spaces" : "length";
  return (memo[key] ??= maxCountOf(node, count));
}
function maxCountOf(node: Node, count: (set: CharSet) => number): number {
  switch (node.type) {
    case "chars":
      return count(node.set);
    case "seq":
      return node.items.reduce((s, n) => s + maxCount(n, count), 0);
    case "alt":
      return Math.max(...node.alts.map((n) => maxCount(n, count)));
    case "repeat": {
      const inner = maxCount(node.node, count);
      return inner === 0 ? 0 : inner * node.max;
    }
    default:
      return 0; // assertions and lookarounds consume nothing
  }
}

const countSpaces = (s: CharSet) => s.ascii[32]!;
const countChars = () => 1;
export const maxSpaces = (node: Node) => maxCount(node, countSpaces);

/** Spaces a match attempt can read from its start, lookaheads' contents included. */
export function maxSpacesRead(node: Node): number {
  switch (node.type) {
    case "chars":
      return node.set.ascii[32]!;
    case "seq": {
      // A lookahead reads from where it stands, beyond what the rest of the sequence consumes.
      let consumed = 0;
      let read = 0;
      for (const item of node.items) {
        read = Math.max(read, consumed + maxSpacesRead(item));
        consumed += maxSpaces(item);
      }
      return Math.max(read, consumed);
    }
    case "alt":
      return Math.max(...node.alts.map(maxSpacesRead));
    case "repeat": {
      if (node.max === 0) return 0;
      const consumed = maxSpaces(node.node);
      const read = maxSpacesRead(node.node);
      if (consumed === 0) return read;
      if (node.max === Infinity) return Infinity;
      return consumed * (node.max - 1) + read;
    }
    case "look":
      return node.ahead ? maxSpacesRead(node.node) : Infinity;
    default:
      return 0;
  }
}
export const maxLength = (node: Node) => maxCount(node, countChars);

/** Any assertion or lookaround at all. */
export function hasAssertions(node: Node): boolean {
  switch (node.type) {
    case "chars":
      return false;
    case "seq":
      return node.items.some(hasAssertions);
    case "alt":
      return node.alts.some(hasAssertions);
    case "repeat":
      return hasAssertions(node.node);
    default:
      return true;
  }
}

/** ^, $ or a lookbehind anywhere: they would read a slice's edges differently from the text's. */
export function hasEdgeAssertions(node: Node): boolean {
  switch (node.type) {
    case "chars":
      return false;
    case "seq":
      return node.items.some(hasEdgeAssertions);
    case "alt":
      return node.alts.some(hasEdgeAssertions);
    case "repeat":
      return hasEdgeAssertions(node.node);
    case "look":
      return !node.ahead || hasEdgeAssertions(node.node);
    default:
      return node.kind === "^" || node.kind === "$";
  }
}

/** Can match the empty string. */
export function nullable(node: Node): boolean {
  return (memoOf(node).nullable ??= nullableOf(node));
}
function nullableOf(node: Node): boolean {
  switch (node.type) {
    case "chars":
      return false;
    case "seq":
      return node.items.every(nullable);
    case "alt":
      return node.alts.some(nullable);
    case "repeat":
      return node.min === 0 || nullable(node.node);
    default:
      return true;
  }
}

/** Characters a non-empty match can begin with. */
export function firstChars(node: Node): CharSet {
  const ascii = new Uint8Array(128);
  let other = false;
  const visit = (n: Node): void => {
    switch (n.type) {
      case "chars":
        for (let c = 0; c < 128; c++) if (n.set.ascii[c]) ascii[c] = 1;
        other ||= n.set.other;
        return;
      case "seq":
        for (const item of n.items) {
          visit(item);
          if (!nullable(item)) return;
        }
        return;
      case "alt":
        n.alts.forEach(visit);
        return;
      case "repeat":
        visit(n.node);
        return;
      default:
        return;
    }
  };
  visit(node);
  return { ascii, other };
}

/** Every match begins (end = false) or ends (end = true) right at a \b assertion. */
export function boundaryAtEdge(node: Node, end: boolean): boolean {
  switch (node.type) {
    case "assert":
      return node.kind === "b";
    case "seq": {
      const items = end ? [...node.items].reverse() : node.items;
      for (const item of items) {
        if (item.type === "look") continue;
        return boundaryAtEdge(item, end);
      }
      return false;
    }
    case "alt":
      return node.alts.every((a) => boundaryAtEdge(a, end));
    case "repeat":
      return node.min >= 1 && boundaryAtEdge(node.node, end);
    default:
      return false;
  }
}

/**
 * The tokens a match of a words-view pattern can begin with: for every match, the characters
 * before its first space (all of it when it has none). Undefined when that set is not small
 * and finite (a class like [a-z0-9]+ at the start, or more than `cap` strings). Only the words
 * alphabet [a-z0-9 ] is considered: other characters never occur in a words view. Assertions
 * and lookarounds are skipped: they only remove matches.
 * A match without a space is a whole token only if it ends at \b: otherwise (such matches
 * possible and no \b at the end) the answer is undefined.
 */
export function firstTokens(node: Node, cap = 400): string[] | undefined {
  const r = segments(node, cap);
  if (!r || (r.open.size > 0 && !boundaryAtEdge(node, true))) return undefined;
  const out = new Set<string>();
  for (const s of r.open) out.add(s);
  for (const s of r.closed) out.add(s);
  return [...out];
}

/** Match beginnings: `open` ones have not reached a space yet, `closed` ones did (text before it). */
interface Segments {
  open: Set<string>;
  closed: Set<string>;
}

const WORD_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const MAX_SEGMENT = 48;

function segments(node: Node, cap: number): Segments | undefined {
  switch (node.type) {
    case "chars": {
      const open = new Set<string>();
      for (const ch of WORD_ALPHABET) if (node.set.ascii[ch.charCodeAt(0)]) open.add(ch);
      if (open.size > 8) return undefined; // a wide class: too many beginnings
      return { open, closed: node.set.ascii[32] ? new Set([""]) : new Set() };
    }
    case "assert":
    case "look":
      return { open: new Set([""]), closed: new Set() };
    case "alt": {
      const out: Segments = { open: new Set(), closed: new Set() };
      for (const a of node.alts) {
        const s = segments(a, cap);
        if (!s) return undefined;
        for (const x of s.open) out.open.add(x);
        for (const x of s.closed) out.closed.add(x);
        if (out.open.size + out.closed.size > cap) return undefined;
      }
      return out;
    }
    case "seq": {
      let acc: Segments = { open: new Set([""]), closed: new Set() };
      for (const item of node.items) {
        if (acc.open.size === 0) break; // every beginning already reached a space
        const s = segments(item, cap);
        const next = s && then(acc, s, cap);
        if (!next) return undefined;
        acc = next;
      }
      return acc;
    }
    case "repeat": {
      const inner = segments(node.node, cap);
      if (!inner) return undefined;
      const out: Segments = { open: new Set(), closed: new Set() };
      let cur: Segments = { open: new Set([""]), closed: new Set() };
      for (let k = 0; ; k++) {
        if (k >= node.min) {
          for (const x of cur.open) out.open.add(x);
          for (const x of cur.closed) out.closed.add(x);
        }
        if (k === node.max || cur.open.size === 0) break;
        const next: Segments | undefined = then({ open: cur.open, closed: new Set() }, inner, cap);
        if (!next) return undefined;
        // Unbounded repetition that keeps growing open beginnings: give up (lengths are capped in then()).
        let grew = false;
        for (const x of next.open) if (!cur.open.has(x)) grew = true;
        for (const x of next.closed) if (!out.closed.has(x)) grew = true;
        if (!grew && k >= node.min) break;
        cur = next;
        if (out.open.size + out.closed.size > cap) return undefined;
      }
      return out;
    }
  }
}

/** Beginnings of `a` followed by `b`. */
function then(a: Segments, b: Segments, cap: number): Segments | undefined {
  const out: Segments = { open: new Set(), closed: new Set(a.closed) };
  for (const x of a.open) {
    for (const y of b.closed) out.closed.add(x + y);
    for (const y of b.open) {
      const s = x + y;
      if (s.length > MAX_SEGMENT) return undefined;
      out.open.add(s);
    }
    if (out.open.size + out.closed.size > cap) return undefined;
  }
  return out;
}
