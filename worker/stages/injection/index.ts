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
import { analyze, foldRaw, hashToken, leetPatternSource, normalizeForMatching, reverse, rot13, squash, toLeetWords, type WordsView } from "./normalize";
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
}

const COMPILED: readonly CompiledRule[] = INJECTION_RULES.map((r, index) => {
  if (r.pattern.global || r.pattern.sticky) throw new Error(`rule ${r.id}: g/y flags are not allowed`);
  if ((r.view !== "words" && r.view !== "squashed") || r.noLeet) return { ...r, index };
  return {
    ...r,
    index,
    leetPattern: new RegExp(leetPatternSource(r.pattern.source), r.pattern.flags),
    leetTriggers: r.triggers?.map(leetPatternSource),
  };
});
const SQUASHED_RULES = COMPILED.filter((r) => r.view === "squashed");

/**
 * Token hash -> (word rule, trigger group bit). A rule runs when every one of its groups
 * has a token in the text. A 64K-entry presence filter in front of the map skips most
 * tokens with one array read. Hash collisions only make a rule run for nothing.
 */
interface TriggerTable {
  filter: Uint8Array;
  entries: Map<number, Array<[rule: number, bit: number]>>;
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
  const table: TriggerTable = { filter: new Uint8Array(65536), entries: new Map(), needed: new Uint8Array(COMPILED.length), hints: new Map() };
  for (const [words, bit] of [[ROT13_HINTS, HINT_ROT13], [REVERSED_HINTS, HINT_REVERSED]] as const) {
    for (const w of words) {
      const h = hashToken(leet ? leetPatternSource(w) : w);
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
        const h = hashToken(leet ? leetPatternSource(t) : t);
        table.filter[h & 0xffff] = 1;
        const list = table.entries.get(h) ?? [];
        list.push([r.index, bit]);
        table.entries.set(h, list);
      }
    });
  }
  return table;
}
const PLAIN_TRIGGERS = triggerTable(false);
const LEET_TRIGGERS = triggerTable(true);

/** Per rule index: 1 when the rule's trigger groups are all present; and the hint bits seen. */
function activeWordRules(view: WordsView, table: TriggerTable): { active: Uint8Array; hints: number } {
  const seen = new Uint8Array(COMPILED.length);
  let hints = 0;
  const { hashes } = view;
  const { filter } = table;
  for (let i = 0; i < hashes.length; i++) {
    const h = hashes[i]!;
    if (filter[h & 0xffff] === 0) continue;
    const list = table.entries.get(h);
    if (list) for (const [r, bit] of list) seen[r]! |= bit;
    const hint = table.hints.get(h);
    if (hint) hints |= hint;
  }
  const active = new Uint8Array(COMPILED.length);
  for (let r = 0; r < active.length; r++) active[r] = seen[r] === table.needed[r] ? 1 : 0;
  return { active, hints };
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
  words?: string;
  squashed?: string;
  /** Word rules whose triggers are present (index -> 1). */
  activeWords?: Uint8Array;
  /** Substring trigger results already computed for these views. */
  seen?: Map<string, boolean>;
}

function collect(text: string, depth: number, budget: DecodeBudget): Hits {
  const hits: Hits = { weights: new Map(), plain: new Set(), probability: 0 };
  const a = analyze(text);
  const words = a.words;
  if (depth === 0) hits.probability = modelProbability(words);
  // The squashed view has no word boundaries: only worth it when letters are spaced out.
  const squashed = words.spaced ? squash(words.text) : undefined;
  const triggered = activeWordRules(words, PLAIN_TRIGGERS);
  const plain: Views = { rawCase: a.rawCase, words: words.text, squashed, activeWords: triggered.active };
  runRules(COMPILED, plain, false, hits, true);

  // Leet reading, only when digits/symbols touch letters.
  if (words.leetHint) {
    const leet = toLeetWords(foldRaw(a.rawCase));
    if (leet.text !== words.text) {
      const views: Views = { words: leet.text, activeWords: activeWordRules(leet, LEET_TRIGGERS).active };
      if (leet.spaced) views.squashed = squash(leet.text);
      runRules(COMPILED, views, true, hits, false);
    }
  }

  // ROT13 and reversed text: squashed signatures only, when a hint word is present.
  if (triggered.hints & HINT_ROT13 || (squashed && ROT13_HINTS.some((h) => squashed.includes(h)))) {
    runRules(SQUASHED_RULES, { squashed: rot13(squashed ?? squash(words.text)) }, false, hits, false, "encoded_payload");
  }
  if (triggered.hints & HINT_REVERSED || (squashed && REVERSED_HINTS.some((h) => squashed.includes(h)))) {
    runRules(SQUASHED_RULES, { squashed: reverse(squashed ?? squash(words.text)) }, false, hits, false, "encoded_payload");
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
    const text = views[rule.view];
    if (text === undefined) continue;
    const pattern = leet ? rule.leetPattern : rule.pattern;
    if (!pattern) continue;
    if (rule.view === "words") {
      if (!views.activeWords || views.activeWords[rule.index] !== 1) continue;
    } else {
      const triggers = leet ? rule.leetTriggers : rule.triggers;
      if (triggers && !triggers.some((t) => contains(views, rule.view, text, t))) continue;
    }
    // Squashed signatures only back up the word rules: when a word rule of the same id
    // already decided (possibly downgraded by the meta guard), it stands.
    if (rule.view === "squashed" && hits.weights.has(rule.id)) continue;
    const weight = matchWeight(rule, pattern, text);
    if (weight > 0) {
      add(hits, rule.id, weight, plain);
      if (alsoId) add(hits, alsoId, 3, false);
    }
  }
}

/** Developer questions about prompts ("how do I print the system prompt in my app"). */
const META_BEFORE =
  /\b(?:how (?:do|can|could|should|would|to|does|did|is|are)|how s|hows|why (?:does|do|did|is|would)|where (?:do|can|is|does)|is it possible to|best way to|comment (?:faire|puis je|peut on|est ce qu on|je peux)|pourquoi)\b(?: [a-z0-9]+){0,6} ?$/;
const META_AFTER =
  /^ (?:in|from|of|for|with|using|via|inside|dans|avec|de) (?:my|our|a|the|this|mon|ma|mes|notre|un|une|l|le|la)\b(?: [a-z0-9]+){0,2}? (?:app|application|code|script|program|python|javascript|typescript|langchain|llamaindex|api|project|bot|chatbot|agent|function|backend|frontend|repo|notebook|pipeline|sdk|library|framework|appli|projet|programme|openai)\b/;

function matchWeight(rule: CompiledRule, pattern: RegExp, text: string): number {
  if (!rule.guard) return pattern.test(text) ? rule.weight : 0;
  const m = pattern.exec(text); // never global: exec does not read or write lastIndex
  if (!m) return 0;
  const before = text.slice(Math.max(0, m.index - 60), m.index);
  const after = text.slice(m.index + m[0].length, m.index + m[0].length + 60);
  return META_BEFORE.test(before) || META_AFTER.test(after) ? Math.min(rule.weight, 1) : rule.weight;
}
