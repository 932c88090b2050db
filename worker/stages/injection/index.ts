/**
 * Prompt-injection scoring. Pure and deterministic: the verdict depends on the text only
 * (the only regexes with the g/y flag used with exec() are the sticky copies in findInWords
 * and findAtLineStarts, whose lastIndex is set before every call, so no lastIndex leaks
 * between calls).
 *
 * score = sum over distinct matched rule ids of the rule weight (see rules.ts), plus:
 *   encoded_payload +3  a decoded run (base64, hex, \xNN, %NN, entities, tag/variation-
 *                       selector smuggling) scores >= medium itself, or a ROT13/reversed
 *                       reading of the text matches a signature
 *   obfuscation     +1  a rule of weight >= 3 matched only through an obfuscated reading
 *   mixed_script    +1  Latin letters glued to Cyrillic/Greek ones (homoglyph spoofing)
 *   hidden_characters +1 zero-width / format characters inside words
 *   ml_classifier   +1/+3/+6  the learned model (model.ts) rates the text as an attack with
 *                       probability >= the low / medium / high thresholds tuned on the
 *                       validation split (never on the held-back test split)
 *
 * Levels (INJECTION_THRESHOLDS): score >= 6 high (refused), >= 3 medium (allowed, user
 * text fenced as data), >= 1 low (logged), else none. A single unambiguous rule (weight
 * 6-7) is enough for high; ambiguous ones (3-5) need a second signal.
 */
import { extractPayloads, newBudget, type DecodeBudget } from "./decode";
import { analyze, blockMask, hashToken, leetPatternSource, leetWords, normalizeForMatching, reverse, rot13, type WordsView } from "./normalize";
import { buildAutomaton, squashScan, type Automaton, type SquashedScan } from "./squashed";
import { modelPoints, modelProbability } from "./model";
import { parsePattern } from "./pattern";
import { INJECTION_RULES, type InjectionRule } from "./rules";
import { lookupWindow, type Window } from "./window";
import { GENERATED_WINDOWS } from "./windows.generated";

export { normalizeForMatching, INJECTION_RULES, type InjectionRule };

export const INJECTION_THRESHOLDS = { low: 1, medium: 3, high: 6 } as const;

export type InjectionLevel = "none" | "low" | "medium" | "high";

export interface InjectionResult {
  score: number;
  level: InjectionLevel;
  /** Matched rule ids, in rule-table order, each once. */
  rules: string[];
}

/** Scores above this are reported as this: the level is what matters past "high". */
const MAX_SCORE = 100;
const MAX_DEPTH = 2;

export function levelFor(score: number): InjectionLevel {
  if (score >= INJECTION_THRESHOLDS.high) return "high";
  if (score >= INJECTION_THRESHOLDS.medium) return "medium";
  if (score >= INJECTION_THRESHOLDS.low) return "low";
  return "none";
}

export function scoreInjection(text: string): InjectionResult {
  const hits = collect(text, 0, newBudget());
  const pts = modelPoints(hits.probability);
  if (pts > 0) add(hits, "ml_classifier", pts, true);
  const rules = orderedIds(hits);
  const score = Math.min(sumWeights(hits.weights), MAX_SCORE);
  return { score, level: levelFor(score), rules };
}

/**
 * Weak vocabulary signals (weight <= 2: "act as", "developer mode", "base64", "system prompt",
 * "assistant:") count together for at most WEAK_CAP points. A long pasted document collects
 * several of them by chance, far apart; alone they must never add up to a refusal. The
 * jailbreak set-up markers (ids "jb_*") are exempt: they are designed to add up.
 */
export const WEAK_CAP = 3;
function sumWeights(weights: ReadonlyMap<string, number>): number {
  let strong = 0;
  let weak = 0;
  for (const [id, w] of weights) {
    if (w <= 2 && !id.startsWith("jb_")) weak += w;
    else strong += w;
  }
  return strong + Math.min(weak, WEAK_CAP);
}

/** The two halves of the verdict, for training and evaluation scripts: rule points, model probability. */
export function scoreInjectionParts(text: string): { rulesScore: number; rules: string[]; probability: number } {
  const hits = collect(text, 0, newBudget());
  return { rulesScore: Math.min(sumWeights(hits.weights), MAX_SCORE), rules: orderedIds(hits), probability: hits.probability };
}

// ---------------------------------------------------------------------------------------

interface CompiledRule extends InjectionRule {
  readonly index: number;
  /** Same rule for the leet reading ("l" folded into "i"); absent for rawCase rules. */
  readonly leetPattern?: RegExp;
  readonly leetTriggers?: readonly string[];
  readonly leetAnchors?: readonly string[];
}

/**
 * How far from an anchor a match can lie (undefined: the regex scans the whole view), see
 * window.ts. Looked up on a rule's first use.
 */
const WINDOWS: Array<Window | null | undefined> = [];
function windowFor(rule: CompiledRule): Window | undefined {
  let w = WINDOWS[rule.index];
  if (w === undefined) WINDOWS[rule.index] = w = lookupWindow(rule, GENERATED_WINDOWS[rule.index]) ?? null;
  return w ?? undefined;
}

const COMPILED: readonly CompiledRule[] = INJECTION_RULES.map((r, index) => {
  if (r.pattern.global || r.pattern.sticky) throw new Error(`rule ${r.id}: g/y flags are not allowed`);
  if ((r.view !== "words" && r.view !== "squashed") || r.noLeet) return { ...r, index };
  return {
    ...r,
    index,
    leetPattern: new RegExp(leetPatternSource(r.pattern.source), r.pattern.flags),
    leetTriggers: r.triggers?.map(leetPatternSource),
    leetAnchors: r.anchors?.map(leetPatternSource),
  };
});
const SQUASHED_RULES = COMPILED.filter((r) => r.view === "squashed");

/**
 * Token hash -> what that token means for the word rules: the (rule, trigger group bit) pairs
 * it satisfies, its anchor slot, and the ROT13 / reversed hint bits. A rule runs when every
 * one of its groups has a token in the text. A 64K-entry presence filter in front of the map
 * skips most tokens with one array read; a token passing it costs one map lookup. Hash
 * collisions only make a rule run for nothing (or look at one more window).
 */
interface TokenInfo {
  /** Flattened (rule index, group bit) pairs. */
  groups: number[];
  /** Index into WordScan.positions when some rule is anchored on this token, else -1. */
  slot: number;
  hint: number;
}

interface TriggerTable {
  filter: Uint8Array;
  tokens: Map<number, TokenInfo>;
  /** Per rule: the bits it needs (0 = no triggers, always runs). */
  needed: Uint8Array;
  /** Per word rule: the anchor slots of its anchor tokens (see InjectionRule.anchors). */
  anchorSlots: Array<number[] | undefined>;
  slots: number;
}

/** Key words whose ROT13 / reversed forms, seen as tokens, justify decoding the whole text. */
const HINT_WORDS = ["ignore", "ignorez", "disregard", "forget", "previous", "instructions", "instruction", "system", "prompt", "oublie", "oubliez", "consignes"];
const ROT13_HINTS = HINT_WORDS.map(rot13);
const REVERSED_HINTS = HINT_WORDS.map(reverse);
const HINT_ROT13 = 1;
const HINT_REVERSED = 2;

function triggerTable(leet: boolean): TriggerTable {
  const table: TriggerTable = { filter: new Uint8Array(65536), tokens: new Map(), needed: new Uint8Array(COMPILED.length), anchorSlots: [], slots: 0 };
  const hash = (t: string) => hashToken(leet ? leetPatternSource(t) : t);
  const info = (h: number) => {
    let i = table.tokens.get(h);
    if (!i) {
      table.tokens.set(h, (i = { groups: [], slot: -1, hint: 0 }));
      table.filter[h & 0xffff] = 1;
    }
    return i;
  };
  for (const [words, bit] of [[ROT13_HINTS, HINT_ROT13], [REVERSED_HINTS, HINT_REVERSED]] as const) {
    for (const w of words) info(hash(w)).hint |= bit;
  }
  for (const r of COMPILED) {
    if (r.view !== "words" || !r.triggers) continue;
    const groups = [r.triggers, ...(r.alsoNeeds ?? [])];
    if (groups.length > 8) throw new Error(`rule ${r.id}: at most 8 trigger groups`);
    groups.forEach((group, g) => {
      const bit = 1 << g;
      table.needed[r.index]! |= bit;
      for (const t of group) info(hash(t)).groups.push(r.index, bit);
    });
    const slots: number[] = [];
    for (const h of new Set((r.anchors ?? r.triggers).map(hash))) {
      const i = info(h);
      if (i.slot < 0) i.slot = table.slots++;
      slots.push(i.slot);
    }
    table.anchorSlots[r.index] = slots;
  }
  return table;
}
const PLAIN_TRIGGERS = triggerTable(false);
const LEET_TRIGGERS = triggerTable(true);

/**
 * Squashed views are read through their key strings (squashed.ts): a rule's triggers and
 * anchors, in three forms — as is, ROT13 and reversed, since rot13(text) holds t exactly
 * where text holds rot13(t) (same for reversal) — so the ROT13 / reversed readings need no
 * scan of their own.
 */
const PLAIN = 0;
const ROT13 = 1;
const REVERSED = 2;
type Reading = typeof PLAIN | typeof ROT13 | typeof REVERSED;
const READ: Record<Reading, (s: string) => string> = { [PLAIN]: (s) => s, [ROT13]: rot13, [REVERSED]: reverse };

interface SquashedKeys {
  ac: Automaton;
  /** Per squashed rule index, per reading: key ids of its triggers and of its anchors. */
  rules: Map<number, { triggers: number[][]; anchors: number[][] }>;
  rot13Hints: number[];
  reversedHints: number[];
}

function squashedKeys(leet: boolean, readings: readonly Reading[]): SquashedKeys {
  const patterns: string[] = [];
  const ids = new Map<string, number>();
  const id = (s: string) => {
    let i = ids.get(s);
    if (i === undefined) ids.set(s, (i = patterns.push(s) - 1));
    return i;
  };
  const rules = new Map<number, { triggers: number[][]; anchors: number[][] }>();
  for (const r of SQUASHED_RULES) {
    const triggers = (leet ? r.leetTriggers : r.triggers) ?? [];
    const anchors = (leet ? r.leetAnchors ?? r.leetTriggers : r.anchors ?? r.triggers) ?? [];
    if (triggers.length === 0 || (leet && !r.leetPattern)) continue;
    const byReading = { triggers: [[], [], []] as number[][], anchors: [[], [], []] as number[][] };
    for (const reading of readings) {
      byReading.triggers[reading] = triggers.map((t) => id(READ[reading](t)));
      byReading.anchors[reading] = anchors.map((t) => id(READ[reading](t)));
    }
    rules.set(r.index, byReading);
  }
  const rot13Hints = leet ? [] : ROT13_HINTS.map(id);
  const reversedHints = leet ? [] : REVERSED_HINTS.map(id);
  return { ac: buildAutomaton(patterns), rules, rot13Hints, reversedHints };
}
const PLAIN_SQUASHED = squashedKeys(false, [PLAIN, ROT13, REVERSED]);
const LEET_SQUASHED = squashedKeys(true, [PLAIN]);

interface SquashedView {
  scan: SquashedScan;
  keys: SquashedKeys;
  reading: Reading;
}

interface WordScan {
  /** Per rule index: 1 when the rule's trigger groups are all present. */
  active: Uint8Array;
  /** Per anchor slot: ascending token indices where that anchor token occurs. */
  positions: Array<number[] | undefined>;
  /** Hint bits seen (ROT13 / reversed key words). */
  hints: number;
  table: TriggerTable;
  /** Number of tokens in the view. */
  tokens: number;
}

/**
 * One pass over the token hashes: which word rules run, and where anchor tokens are.
 * Positions are kept once per distinct anchor token (a word repeated thousands of times is
 * recorded once per occurrence, not once per rule it anchors); a rule's anchor positions are
 * merged from them only when it runs (anchorPositions).
 */
function scanWords(view: WordsView, table: TriggerTable): WordScan {
  const seen = new Uint8Array(COMPILED.length);
  const positions: Array<number[] | undefined> = [];
  let hints = 0;
  const { hashes } = view;
  const { filter, tokens } = table;
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i]!;
    if (filter[h & 0xffff] === 0) continue;
    const info = tokens.get(h);
    if (info === undefined) continue;
    const g = info.groups;
    for (let j = 0; j < g.length; j += 2) seen[g[j]!]! |= g[j + 1]!;
    if (info.slot >= 0) (positions[info.slot] ??= []).push(i);
    hints |= info.hint;
  }
  const active = new Uint8Array(COMPILED.length);
  for (let r = 0; r < active.length; r++) active[r] = seen[r] === table.needed[r] ? 1 : 0;
  return { active, positions, hints, table, tokens: hashes.length };
}

/** Stands for "more anchors than worth visiting one by one": findInWords scans the whole view. */
const DENSE: ArrayLike<number> = [];

/** Ascending token indices of a rule's anchors; undefined when there are none, DENSE past `max`. */
function anchorPositions(scan: WordScan, rule: number, max: number): ArrayLike<number> | undefined {
  const slots = scan.table.anchorSlots[rule];
  if (!slots) return undefined;
  let only: number[] | undefined;
  let total = 0;
  let lists = 0;
  for (const s of slots) {
    const p = scan.positions[s];
    if (!p) continue;
    only = p;
    total += p.length;
    lists++;
  }
  if (total > max) return DENSE;
  if (lists <= 1) return only;
  // Distinct tokens have distinct positions: concatenate and sort.
  const merged = new Int32Array(total);
  let k = 0;
  for (const s of slots) {
    const p = scan.positions[s];
    if (p) for (let j = 0; j < p.length; j++) merged[k++] = p[j]!;
  }
  return merged.sort();
}

/** Extra ids, ordered after the table. */
const EXTRA_IDS = ["encoded_payload", "obfuscation", "mixed_script", "hidden_characters", "ml_classifier"] as const;
const ID_ORDER = new Map<string, number>();
for (const r of COMPILED) if (!ID_ORDER.has(r.id)) ID_ORDER.set(r.id, ID_ORDER.size);
for (const id of EXTRA_IDS) ID_ORDER.set(id, ID_ORDER.size);

interface Hits {
  /** id -> highest weight seen. */
  weights: Map<string, number>;
  /** ids matched on a non-obfuscated reading. */
  plain: Set<string>;
  /** Model probability on the top-level text (0 for decoded payloads). */
  probability: number;
}

function add(h: Hits, id: string, weight: number, plain: boolean): void {
  const prev = h.weights.get(id);
  if (prev === undefined || weight > prev) h.weights.set(id, weight);
  if (plain) h.plain.add(id);
}

function orderedIds(h: Hits): string[] {
  return [...h.weights.keys()].sort((a, b) => (ID_ORDER.get(a) ?? 1e9) - (ID_ORDER.get(b) ?? 1e9) || (a < b ? -1 : a > b ? 1 : 0));
}

interface Views {
  rawCase?: string;
  /** blockMask(rawCase). */
  rawBlocks?: number;
  words?: WordsView;
  /** scanWords() of `words`. */
  scan?: WordScan;
  squashed?: SquashedView;
  /** Substring trigger results already computed for these views. */
  seen?: Map<string, boolean>;
}

function collect(text: string, depth: number, budget: DecodeBudget): Hits {
  const hits: Hits = { weights: new Map(), plain: new Set(), probability: 0 };
  const a = analyze(text);
  const words = a.words;
  if (depth === 0) hits.probability = modelProbability(words);
  // The squashed view has no word boundaries: only worth it when letters are spaced out.
  let squashed = words.spaced ? squashScan(words.text, PLAIN_SQUASHED.ac) : undefined;
  const triggered = scanWords(words, PLAIN_TRIGGERS);
  const plain: Views = { rawCase: a.rawCase, rawBlocks: a.rawBlocks, words, scan: triggered, squashed: squashed && { scan: squashed, keys: PLAIN_SQUASHED, reading: PLAIN } };
  runRules(COMPILED, plain, false, hits, true);

  // Leet reading, only when digits/symbols touch letters.
  if (words.leetHint && a.folded) {
    const leet = leetWords(a.folded);
    if (leet.text !== words.text) {
      const views: Views = { words: leet, scan: scanWords(leet, LEET_TRIGGERS) };
      if (leet.spaced) views.squashed = { scan: squashScan(leet.text, LEET_SQUASHED.ac), keys: LEET_SQUASHED, reading: PLAIN };
      runRules(COMPILED, views, true, hits, false);
    }
  }

  // ROT13 and reversed text: squashed signatures only, when a hint word is present.
  const spacedScan = squashed; // only a spaced text's own squashed view counts as a hint
  const has = (ids: number[]) => spacedScan !== undefined && ids.some((id) => spacedScan.ends[id] !== undefined);
  if (triggered.hints & HINT_ROT13 || has(PLAIN_SQUASHED.rot13Hints)) {
    squashed ??= squashScan(words.text, PLAIN_SQUASHED.ac);
    runRules(SQUASHED_RULES, { squashed: { scan: squashed, keys: PLAIN_SQUASHED, reading: ROT13 } }, false, hits, false, "encoded_payload");
  }
  if (triggered.hints & HINT_REVERSED || has(PLAIN_SQUASHED.reversedHints)) {
    squashed ??= squashScan(words.text, PLAIN_SQUASHED.ac);
    runRules(SQUASHED_RULES, { squashed: { scan: squashed, keys: PLAIN_SQUASHED, reading: REVERSED } }, false, hits, false, "encoded_payload");
  }

  // Encoded runs: decode, score the decoded text, keep it only if it is itself suspicious.
  if (depth < MAX_DEPTH) {
    for (const payload of extractPayloads(text, a, budget)) {
      const inner = collect(payload, depth + 1, budget);
      let innerScore = 0;
      for (const w of inner.weights.values()) innerScore += w;
      if (innerScore < INJECTION_THRESHOLDS.medium) continue;
      for (const [id, w] of inner.weights) add(hits, id, w, false);
      add(hits, "encoded_payload", 3, false);
    }
  }

  if (a.mixedScript) add(hits, "mixed_script", 1, true);
  if (a.hiddenInWord) add(hits, "hidden_characters", 1, true);
  for (const [id, w] of hits.weights) {
    if (w >= 3 && !hits.plain.has(id) && id !== "encoded_payload") {
      add(hits, "obfuscation", 1, true);
      break;
    }
  }
  return hits;
}

/** Per trigger string: blockMask(trigger). */
const TRIGGER_BLOCKS = new Map<string, number>();

/**
 * Substring triggers, each looked up once per view (several rules share "<" or ":"). A
 * trigger using a script block the rawCase text lacks is absent without a search.
 */
function contains(views: Views, view: string, text: string, t: string): boolean {
  if (view === "rawCase" && views.rawBlocks !== undefined) {
    let need = TRIGGER_BLOCKS.get(t);
    if (need === undefined) TRIGGER_BLOCKS.set(t, (need = blockMask(t)));
    if ((need & ~views.rawBlocks) !== 0) return false;
  }
  const key = view + "\u0000" + t;
  const cache = (views.seen ??= new Map());
  let found = cache.get(key);
  if (found === undefined) cache.set(key, (found = text.includes(t)));
  return found;
}

function runRules(rules: readonly CompiledRule[], views: Views, leet: boolean, hits: Hits, plain: boolean, alsoId?: string): void {
  for (const rule of rules) {
    const pattern = leet ? rule.leetPattern : rule.pattern;
    if (!pattern) continue;
    let weight: number;
    if (rule.view === "words") {
      const { words, scan } = views;
      if (!words || !scan || scan.active[rule.index] !== 1) continue;
      const window = windowFor(rule);
      let m: Found | null;
      if (window) {
        // With the first tokens known, candidates cost a bit test each: never worth a whole scan.
        const first = firstSet(rule, leet);
        const at = anchorPositions(scan, rule.index, first ? Infinity : words.starts.length / (window.spaces + window.reach + 2));
        m = findInWords(pattern, window, words, at, first);
      } else m = found(pattern.exec(words.text));
      weight = matchWeight(rule, m, words.text);
    } else if (rule.view === "squashed") {
      const sv = views.squashed;
      // Squashed signatures only back up the word rules: when a word rule of the same id
      // already decided (possibly downgraded by the meta guard), it stands.
      if (!sv || hits.weights.has(rule.id)) continue;
      weight = findInSquashed(rule, pattern, sv) ? rule.weight : 0;
    } else {
      const text = views[rule.view];
      if (text === undefined) continue;
      if (rule.triggers && !rule.triggers.some((t) => contains(views, rule.view, text, t))) continue;
      weight = matchWeight(rule, atLineStart(rule) ? findAtLineStarts(pattern, text) : found(pattern.exec(text)), text);
    }
    if (weight > 0) {
      add(hits, rule.id, weight, plain);
      if (alsoId) add(hits, alsoId, 3, false);
    }
  }
}

/** A match found in a slice, placed back in the whole text. */
interface Found {
  index: number;
  length: number;
}

/**
 * Per rule: Window.first as a 2048-bit set of token hashes (hash & 2047), in the plain and the
 * leet reading; null when the rule has no such list. A collision only costs one exec.
 */
const FIRST_PLAIN: Array<Uint32Array | null | undefined> = [];
const FIRST_LEET: Array<Uint32Array | null | undefined> = [];
function firstSet(rule: CompiledRule, leet: boolean): Uint32Array | undefined {
  const cache = leet ? FIRST_LEET : FIRST_PLAIN;
  let bits = cache[rule.index];
  if (bits === undefined) {
    const first = windowFor(rule)?.first;
    bits = null;
    if (first) {
      bits = new Uint32Array(64);
      for (const t of first) {
        const h = hashToken(leet ? leetPatternSource(t) : t);
        bits[(h >>> 5) & 63]! |= 1 << (h & 31);
      }
    }
    cache[rule.index] = bits;
  }
  return bits ?? undefined;
}

/**
 * Sticky copies of patterns, made on first use: they try one position only, so a rule can be
 * tried at chosen word or line starts of the whole text (findInWords, findAtLineStarts).
 * lastIndex is set before every exec, so nothing carries over between calls.
 */
const STICKY = new Map<RegExp, RegExp>();
function stickyOf(pattern: RegExp): RegExp {
  let y = STICKY.get(pattern);
  if (!y) STICKY.set(pattern, (y = new RegExp(pattern.source, pattern.flags + "y")));
  return y;
}

/**
 * The leftmost match of a word rule, looking only next to its anchors. Every match holds an
 * anchor token t and at most `spaces` spaces, so it starts at one of the `spaces` word starts
 * before t, or at t itself (the window proved every match starts at a word start with \b).
 * Each anchor tries those starts not tried yet, in text order, with the sticky copy of the
 * pattern on the whole text: the first match found is the leftmost one, and the regex sees
 * exactly what a scan of the whole text would (no slice edges). Trying one start costs one
 * exec call (V8's scan of the whole text tries every character position instead), and only
 * starts whose token can begin a match (Window.first, by hash) are tried. The ranges tried
 * never overlap, so that is at most one bit test per word.
 * Many starts to try (dense anchors without Window.first, or a first token repeated all over
 * the text) would cost more exec calls than one scan of the whole text: then it scans.
 */
function findInWords(pattern: RegExp, w: Window, view: WordsView, at: ArrayLike<number> | undefined, first: Uint32Array | undefined): Found | null {
  if (!at) return null;
  const { text, starts, hashes } = view;
  if (at === DENSE || (first === undefined && at.length * (w.spaces + w.reach + 2) > starts.length)) return found(pattern.exec(text));
  // The starts to try, in text order.
  if (CANDIDATES.length < starts.length) CANDIDATES = new Int32Array(starts.length + 1024);
  const candidates = CANDIDATES;
  let count = 0;
  let next = 0; // first token not yet considered
  for (let a = 0; a < at.length; a++) {
    const t = at[a]!;
    for (let j = Math.max(next, t - w.spaces); j <= t; j++) {
      if (first !== undefined) {
        const h = hashes[j]!;
        if (((first[(h >>> 5) & 63]! >>> (h & 31)) & 1) === 0) continue;
      }
      candidates[count++] = j;
    }
    next = t + 1;
  }
  // Many candidates (a repeated first token): one exec call each would cost more than a scan.
  if (count > MAX_TRIES && count * 16 > starts.length) return found(pattern.exec(text));
  const y = stickyOf(pattern);
  for (let c = 0; c < count; c++) {
    y.lastIndex = starts[candidates[c]!]!;
    const m = y.exec(text);
    if (m) return { index: m.index, length: m[0].length };
  }
  return null;
}

/** Scratch for findInWords (never re-entered). */
let CANDIDATES = new Int32Array(1024);
/** Sticky tries always allowed before the whole-scan fallback is considered. */
const MAX_TRIES = 32;

/** Per rule index: 1 when every match starts a line (see atLineStart), 2 when not; 0 = not known yet. */
const LINE_START = new Uint8Array(INJECTION_RULES.length);

/**
 * The pattern is `(?:^|\n)…` with no other top-level alternative and no m flag: every match
 * starts at 0 or at a "\n". Worked out on first use (these sources are short).
 */
function atLineStart(rule: CompiledRule): boolean {
  if (LINE_START[rule.index] === 0) {
    let yes = false;
    if (!rule.pattern.multiline && rule.pattern.source.startsWith("(?:^|\\n)")) {
      try {
        const ast = parsePattern(rule.pattern.source, rule.pattern.ignoreCase);
        const first = ast.type === "seq" ? ast.items[0] : undefined;
        yes =
          first?.type === "alt" &&
          first.alts.length === 2 &&
          first.alts[0]!.type === "assert" &&
          first.alts[0]!.kind === "^" &&
          first.alts[1]!.type === "chars" &&
          !first.alts[1]!.set.other &&
          first.alts[1]!.set.ascii.every((x, c) => (x === 1) === (c === 10));
      } catch {
        yes = false;
      }
    }
    LINE_START[rule.index] = yes ? 1 : 2;
  }
  return LINE_START[rule.index] === 1;
}

/** Past this many lines, one scan of the whole text is cheaper than one try per line. */
const MAX_LINE_TRIES = 256;

/** The leftmost match of a line-start pattern: tried at 0 and at each "\n", in order. */
function findAtLineStarts(pattern: RegExp, text: string): Found | null {
  const y = stickyOf(pattern);
  let tries = 0;
  for (let p = 0; p >= 0; p = text.indexOf("\n", p + 1)) {
    if (++tries > MAX_LINE_TRIES) return found(pattern.exec(text));
    y.lastIndex = p;
    const m = y.exec(text);
    if (m) return { index: m.index, length: m[0].length };
  }
  return null;
}

const found = (m: RegExpExecArray | null): Found | null => m && { index: m.index, length: m[0].length };

/**
 * A squashed signature (no assertions, at most `length` characters) holds one of its anchors,
 * so it lies within `length` characters of an anchor occurrence, and a match in a slice is a
 * match in the text. Slices are cut from the squashed text and then read (ROT13 / reversed):
 * an anchor ending at e in the reading's key form covers [e - length, e - |anchor| + length)
 * in every reading. Past one text length of slices, one whole-text test is cheaper.
 */
function findInSquashed(rule: CompiledRule, pattern: RegExp, sv: SquashedView): boolean {
  const keys = sv.keys.rules.get(rule.index);
  if (!keys) return false;
  const { text, ends } = sv.scan;
  const read = READ[sv.reading];
  if (!keys.triggers[sv.reading]!.some((id) => ends[id] !== undefined)) return false;
  const window = windowFor(rule);
  if (!window) return pattern.test(read(text));
  const { length } = window;
  let budget = text.length;
  for (const id of keys.anchors[sv.reading]!) {
    const at = ends[id];
    if (!at) continue;
    const len = sv.keys.ac.lengths[id]!;
    for (const e of at) {
      const from = Math.max(0, e - length);
      const to = Math.min(text.length, e - len + length);
      budget -= to - from;
      if (budget < 0) return pattern.test(read(text));
      if (pattern.test(read(text.slice(from, to)))) return true;
    }
  }
  return false;
}

/** Developer questions about prompts ("how do I print the system prompt in my app"). */
const META_BEFORE =
  /\b(?:how (?:do|can|could|should|would|to|does|did|is|are)|how s|hows|why (?:does|do|did|is|would)|where (?:do|can|is|does)|is it possible to|best way to|comment (?:faire|puis je|peut on|est ce qu on|je peux)|pourquoi)\b(?: [a-z0-9]+){0,6} ?$/;
const META_AFTER =
  /^ (?:in|from|of|for|with|using|via|inside|dans|avec|de) (?:my|our|a|the|this|mon|ma|mes|notre|un|une|l|le|la)\b(?: [a-z0-9]+){0,2}? (?:app|application|code|script|program|python|javascript|typescript|langchain|llamaindex|api|project|bot|chatbot|agent|function|backend|frontend|repo|notebook|pipeline|sdk|library|framework|appli|projet|programme|openai)\b/;

function matchWeight(rule: CompiledRule, m: Found | null, text: string): number {
  if (!m) return 0;
  if (!rule.guard) return rule.weight;
  const end = m.index + m.length;
  const before = text.slice(Math.max(0, m.index - 60), m.index);
  const after = text.slice(end, end + 60);
  return META_BEFORE.test(before) || META_AFTER.test(after) ? Math.min(rule.weight, 1) : rule.weight;
}
