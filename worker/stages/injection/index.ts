/**
 * Prompt-injection scoring. Pure and deterministic: the verdict depends on the text only
 * (no regex with the g/y flag is ever used with test()/exec(), so no lastIndex leaks
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
import { boundaryAtEdge, firstChars, hasAssertions, hasEdgeAssertions, maxLength, maxSpaces, maxSpacesRead, parsePattern, type Node } from "./pattern";
import { analyze, foldRaw, hashToken, leetPatternSource, normalizeForMatching, reverse, rot13, toLeetWords, type WordsView } from "./normalize";
import { buildAutomaton, squashScan, type Automaton, type SquashedScan } from "./squashed";
import { modelPoints, modelProbability } from "./model";
import { INJECTION_RULES, type InjectionRule } from "./rules";

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
 * How far from an anchor a match can lie (undefined: the regex scans the whole view).
 * Worked out on a rule's first use: reading every pattern at module load would slow start-up.
 */
const WINDOWS: Array<Window | null | undefined> = [];
/** Per rule: words one window spans (at least 2 until known); see findInWords. */
const SPAN = new Float64Array(INJECTION_RULES.length).fill(2);
function windowFor(rule: CompiledRule): Window | undefined {
  let w = WINDOWS[rule.index];
  if (w === undefined) {
    WINDOWS[rule.index] = w = windowOf(rule) ?? null;
    if (w) SPAN[rule.index] = w.spaces + w.reach + 2;
  }
  return w ?? undefined;
}

/**
 * Bounds of a match around an anchor, from the pattern's structure (pattern.ts).
 * Words view: a match holds at most `spaces` spaces and reading from its start (lookaheads
 * included) goes at most `reach` spaces further. Squashed view: a match is at most `length`
 * characters long.
 */
interface Window {
  spaces: number;
  reach: number;
  length: number;
}

function windowOf(rule: InjectionRule): Window | undefined {
  let ast: Node;
  try {
    ast = parsePattern(rule.pattern.source, rule.pattern.ignoreCase);
  } catch {
    return undefined; // syntax the reader does not know: scan the whole view
  }
  if (rule.view === "squashed") {
    // No assertion or lookaround: a match means the same in a slice as in the whole text.
    const length = maxLength(ast);
    return hasAssertions(ast) || !Number.isFinite(length) ? undefined : { spaces: 0, reach: 0, length };
  }
  if (rule.view !== "words") return undefined;
  // Every match must start at a word start (\b then [a-z0-9]) and read a bounded number of
  // words; no ^, $ or lookbehind (a slice would change their meaning).
  const first = firstChars(ast);
  let wordFirst = !first.other;
  for (let c = 0; c < 128 && wordFirst; c++) if (first.ascii[c] && !((c >= 97 && c <= 122) || (c >= 48 && c <= 57))) wordFirst = false;
  const spaces = maxSpaces(ast);
  const reach = maxSpacesRead(ast);
  if (!wordFirst || !boundaryAtEdge(ast, false) || hasEdgeAssertions(ast) || !Number.isFinite(reach)) return undefined;
  return { spaces, reach, length: Infinity };
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
 * Token hash -> (word rule, trigger group bit). A rule runs when every one of its groups
 * has a token in the text. A 64K-entry presence filter in front of the map skips most
 * tokens with one array read. Hash collisions only make a rule run for nothing (or look
 * at one more window).
 */
interface TriggerTable {
  filter: Uint8Array;
  entries: Map<number, Array<[rule: number, bit: number]>>;
  /** Token hash -> word rules it anchors (see InjectionRule.anchors). */
  anchors: Map<number, number[]>;
  /** Per rule: the bits it needs (0 = no triggers, always runs). */
  needed: Uint8Array;
  /** Tokens that suggest ROT13 (bit 1) or reversed (bit 2) text. */
  hints: Map<number, number>;
}

/** Key words whose ROT13 / reversed forms, seen as tokens, justify decoding the whole text. */
const HINT_WORDS = ["ignore", "ignorez", "disregard", "forget", "previous", "instructions", "instruction", "system", "prompt", "oublie", "oubliez", "consignes"];
const ROT13_HINTS = HINT_WORDS.map(rot13);
const REVERSED_HINTS = HINT_WORDS.map(reverse);
const HINT_ROT13 = 1;
const HINT_REVERSED = 2;

function triggerTable(leet: boolean): TriggerTable {
  const table: TriggerTable = { filter: new Uint8Array(65536), entries: new Map(), anchors: new Map(), needed: new Uint8Array(COMPILED.length), hints: new Map() };
  const hash = (t: string) => hashToken(leet ? leetPatternSource(t) : t);
  for (const [words, bit] of [[ROT13_HINTS, HINT_ROT13], [REVERSED_HINTS, HINT_REVERSED]] as const) {
    for (const w of words) {
      const h = hash(w);
      table.filter[h & 0xffff] = 1;
      table.hints.set(h, (table.hints.get(h) ?? 0) | bit);
    }
  }
  for (const r of COMPILED) {
    if (r.view !== "words" || !r.triggers) continue;
    const groups = [r.triggers, ...(r.alsoNeeds ?? [])];
    if (groups.length > 8) throw new Error(`rule ${r.id}: at most 8 trigger groups`);
    groups.forEach((group, g) => {
      const bit = 1 << g;
      table.needed[r.index]! |= bit;
      for (const t of group) {
        const h = hash(t);
        table.filter[h & 0xffff] = 1;
        const list = table.entries.get(h) ?? [];
        list.push([r.index, bit]);
        table.entries.set(h, list);
      }
    });
    {
      for (const h of new Set((r.anchors ?? r.triggers).map(hash))) {
        table.filter[h & 0xffff] = 1;
        const list = table.anchors.get(h) ?? [];
        list.push(r.index);
        table.anchors.set(h, list);
      }
    }
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
  /** Per word rule with a window: ascending token indices of its anchors. */
  anchorsAt: Array<number[] | undefined>;
  /** Hint bits seen (ROT13 / reversed key words). */
  hints: number;
}

/** One pass over the token hashes: which word rules run, and where their anchors are. */
function scanWords(view: WordsView, table: TriggerTable): WordScan {
  const seen = new Uint8Array(COMPILED.length);
  const anchorsAt: Array<number[] | undefined> = [];
  let hints = 0;
  const { hashes } = view;
  const { filter, entries, anchors } = table;
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i]!;
    if (filter[h & 0xffff] === 0) continue;
    const list = entries.get(h);
    if (list) for (const [r, bit] of list) seen[r]! |= bit;
    const anchored = anchors.get(h);
    if (anchored) {
      for (const r of anchored) {
        const list = (anchorsAt[r] ??= []);
        // Dense anchors: findInWords scans the whole view anyway, stop collecting.
        if (list.length * SPAN[r]! <= hashes.length) list.push(i);
      }
    }
    const hint = table.hints.get(h);
    if (hint) hints |= hint;
  }
  const active = new Uint8Array(COMPILED.length);
  for (let r = 0; r < active.length; r++) active[r] = seen[r] === table.needed[r] ? 1 : 0;
  return { active, anchorsAt, hints };
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
  const plain: Views = { rawCase: a.rawCase, words, scan: triggered, squashed: squashed && { scan: squashed, keys: PLAIN_SQUASHED, reading: PLAIN } };
  runRules(COMPILED, plain, false, hits, true);

  // Leet reading, only when digits/symbols touch letters.
  if (words.leetHint) {
    const leet = toLeetWords(foldRaw(a.rawCase));
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

/** Substring triggers, each looked up once per view (several rules share "<" or ":"). */
function contains(views: Views, view: string, text: string, t: string): boolean {
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
      const m = window ? findInWords(pattern, window, words, scan.anchorsAt[rule.index]) : found(pattern.exec(words.text));
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
      weight = matchWeight(rule, found(pattern.exec(text)), text);
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
 * The leftmost match of a word rule, looking only next to its anchors. Every match holds an
 * anchor token t and at most `spaces` spaces, so it starts within `spaces` words before t;
 * from there the regex reads at most `reach` spaces on. Each anchor gets a slice from the
 * first start not tried yet to one word past that reach; a slice starts and ends at word
 * edges next to spaces, so \b, the regex's backtracking and its lookaheads see there what
 * they would see in the whole text. A match found in the slice counts only if it starts
 * before the anchor's candidate starts end (later starts belong to the next anchor's slice).
 * Dense anchors would re-read the same words: then one scan of the whole text is cheaper.
 */
function findInWords(pattern: RegExp, w: Window, view: WordsView, at: readonly number[] | undefined): Found | null {
  if (!at) return null;
  const { text, starts } = view;
  const last = starts.length - 1;
  if (at.length * (w.spaces + w.reach + 2) > starts.length) return found(pattern.exec(text));
  let next = 0; // first token not yet tried as a start
  for (const t of at) {
    const a = Math.max(next, t - w.spaces);
    next = t + 1;
    const end = t + w.reach + 1;
    const from = starts[a]!;
    const to = end >= last ? text.length : starts[end + 1]! - 1;
    const m = pattern.exec(text.slice(from, to));
    if (m && m.index <= starts[t]! - from) return { index: from + m.index, length: m[0].length };
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
