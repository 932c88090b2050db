/**
 * Streaming output filter: runs on the model's (PII-restored) output before any byte
 * reaches the client, and stops the stream when the output carries a credential, one of
 * this Worker's own secrets, the per-request canary, or a long verbatim copy of the
 * system prompt.
 *
 * Hold-back is exact rather than a fixed delay: a character is held only while some
 * detector could still match starting at or before it (a "viable prefix"). Plain prose is
 * emitted at once; a tail such as "sk-", "eyJ", "-----BEGI", a prefix of a secret, or
 * text that currently matches the system prompt is held until decided. Every detection
 * is decided by a bounded amount of text, so the emitted text never depends on chunking
 * for benign output: the concatenation of `emit` equals the input.
 */
import { LiteralMatcher, type LiteralSet, literalPrefixSuffix, literalSetFor } from "./literal";
import { viableTailStart } from "./viable";
import { ASCII_SEPARATOR, SEPARATOR, SuffixAutomaton, VerbatimMatcher, normalizeCode, normalizeCodes } from "./verbatim";

export type OutputBlockReason =
  | "secret_openai_key"
  | "secret_anthropic_key"
  | "secret_aws_key"
  | "private_key"
  | "jwt"
  | "own_secret"
  | "canary"
  | "system_prompt";

export interface OutputFilterOptions {
  /** Per-request random marker planted in the system prompt (at least 8 characters). */
  canary: string;
  systemPrompt: string;
  /** This Worker's own secret values; values shorter than 8 characters are ignored. */
  secretValues: string[];
  /** Normalized characters of the system prompt that must appear verbatim to block (default 60). */
  minVerbatimSpan?: number;
  /**
   * Other per-request random strings inside the system prompt (e.g. fence boundaries): cut out
   * of it like the canary, so that every request with the same template shares one automaton.
   */
  perRequestMarkers?: string[];
}

export interface OutputFilterResult {
  /** Text safe to send now (possibly empty). */
  emit: string;
  /** Set once the stream must stop; every later call returns it again with an empty emit. */
  blocked?: { reason: OutputBlockReason };
}

export interface OutputFilter {
  push(chunk: string): OutputFilterResult;
  /** End of stream: releases the held tail (nothing can complete any more). */
  flush(): OutputFilterResult;
}

export const DEFAULT_MIN_VERBATIM_SPAN = 60;
export const MIN_SECRET_LENGTH = 8;
/** Emitted characters kept for lookbehinds and the AWS secret keyword. */
const CONTEXT_LENGTH = 64;

// ---------------------------------------------------------------------------------------
// Credential formats. Bounded quantifiers everywhere: a detection is always decided within
// a known number of characters, which bounds the hold-back and keeps scans linear.

const PATTERNS = new RegExp(
  String.raw`(?<![A-Za-z0-9_-])(?:` +
    // Anthropic: sk-ant-[api03-|admin01-]<random>.
    String.raw`(?<anthropic>sk-ant-(?:(?:api|admin)\d\d-)?(?<antBody>[A-Za-z0-9_-]{20,40}))` +
    // OpenAI: sk-[proj-|svcacct-|admin-]<random>.
    String.raw`|(?<openai>sk-(?!ant-)(?:(?:proj|svcacct|admin)-)?(?<oaiBody>[A-Za-z0-9_-]{20,40}))` +
    // JWT: base64url JSON header, then either a JSON payload or payload + signature.
    String.raw`|(?<jwt>eyJ[A-Za-z0-9_-]{10,100}\.(?:eyJ[A-Za-z0-9_-]{10}|[A-Za-z0-9_-]{2,64}\.[A-Za-z0-9_-]{10}))` +
    String.raw`)` +
    // AWS access key id (long-term AKIA, temporary ASIA).
    String.raw`|(?<![A-Za-z0-9])(?<aws>A[KS]IA[A-Z0-9]{16})` +
    // PEM / OpenSSH / PGP private key header; the header alone is enough.
    String.raw`|(?<pk>-----BEGIN (?:[A-Z0-9]{1,10} ){0,3}PRIVATE KEY)`,
  "g",
);

// A tail that could still grow into one of PATTERNS (superset of their prefixes). The
// streaming path computes the same thing by hand (./viable.ts); this is the reference.
export const VIABLE = new RegExp(
  String.raw`(?<![A-Za-z0-9_-])(?:s(?:k(?:-[A-Za-z0-9_-]{0,55})?)?|e(?:y(?:J[A-Za-z0-9_-]{0,100}(?:\.[A-Za-z0-9_-]{0,64}(?:\.[A-Za-z0-9_-]{0,9})?)?)?)?)$` +
    String.raw`|(?<![A-Za-z0-9])A(?:[KS](?:I(?:A[A-Z0-9]{0,15})?)?)?$` +
    String.raw`|(?:-{1,5}|-----B(?:E(?:G(?:I(?:N(?: [A-Z0-9 ]{0,42})?)?)?)?)?)$`,
  "g",
);

// AWS secret access keys are 40 base64 characters with no prefix of their own: only
// recognised right after their name. The name itself is harmless and is not held.
const AWS_NAME = String.raw`(?<![A-Za-z0-9])(?:aws[_\- ]?secret[_\- ]?(?:access[_\- ]?)?key|secret[_\- ]?access[_\- ]?key)["']?\s{0,3}`;
const AWS_SECRET = new RegExp(AWS_NAME + String.raw`[:=]\s{0,3}["']?(?<value>[A-Za-z0-9/+]{40})`, "gi");
const AWS_SECRET_VIABLE = new RegExp(AWS_NAME + String.raw`(?:[:=]\s{0,3}["']?(?<value>[A-Za-z0-9/+]{0,39}))?$`, "gi");

const DIGIT = /\d/;
const UPPER = /[A-Z]/;
const LOWER = /[a-z]/;

/**
 * Real keys are random: a digit, or both cases. Keeps documentation placeholders such as
 * "sk-xxxxxxxxxxxxxxxxxxxxxxxx" or "sk-your-api-key-goes-here" out of the block list.
 */
function looksRandom(body: string): boolean {
  return DIGIT.test(body) || (UPPER.test(body) && LOWER.test(body));
}

function looksLikeAwsSecret(value: string): boolean {
  return UPPER.test(value) && LOWER.test(value) && /[\d/+]/.test(value);
}

// Same start: the more specific reason wins.
const REASON_ORDER: Record<OutputBlockReason, number> = {
  canary: 0,
  own_secret: 1,
  private_key: 2,
  secret_anthropic_key: 3,
  secret_openai_key: 4,
  secret_aws_key: 5,
  jwt: 6,
  system_prompt: 7,
};

interface Hit {
  reason: OutputBlockReason;
  /** Offset in `text` where the offending match starts. */
  start: number;
}

function better(a: Hit | undefined, b: Hit): Hit {
  if (!a || b.start < a.start || (b.start === a.start && REASON_ORDER[b.reason] < REASON_ORDER[a.reason])) return b;
  return a;
}

/** First credential-pattern hit in `text` at or after `from` (lookbehinds see before it). */
function findPatternHit(text: string, from: number): Hit | undefined {
  let hit: Hit | undefined;
  PATTERNS.lastIndex = from;
  for (let m = PATTERNS.exec(text); m; m = PATTERNS.exec(text)) {
    const g = m.groups!;
    let reason: OutputBlockReason | undefined;
    if (g.anthropic !== undefined) reason = looksRandom(g.antBody!) ? "secret_anthropic_key" : undefined;
    else if (g.openai !== undefined) reason = looksRandom(g.oaiBody!) ? "secret_openai_key" : undefined;
    else if (g.jwt !== undefined) reason = "jwt";
    else if (g.aws !== undefined) reason = "secret_aws_key";
    else reason = "private_key";
    if (reason) {
      hit = { reason, start: m.index };
      break;
    }
    PATTERNS.lastIndex = m.index + 1; // a rejected candidate must not hide a later one
  }
  AWS_SECRET.lastIndex = 0;
  for (let m = AWS_SECRET.exec(text); m; m = AWS_SECRET.exec(text)) {
    const value = m.groups!.value!;
    const start = m.index + m[0].length - value.length;
    if (start >= from && looksLikeAwsSecret(value)) {
      hit = better(hit, { reason: "secret_aws_key", start });
      break;
    }
    AWS_SECRET.lastIndex = m.index + 1;
  }
  return hit;
}

/** Start (in `text`, >= from) of the earliest tail that a credential pattern could still complete. */
function patternHoldStart(text: string, from: number): number {
  let hold = text.length;
  VIABLE.lastIndex = from;
  const v = VIABLE.exec(text);
  if (v) hold = v.index;
  AWS_SECRET_VIABLE.lastIndex = 0;
  const a = AWS_SECRET_VIABLE.exec(text);
  if (a) {
    const value = a.groups!.value;
    if (value) hold = Math.min(hold, Math.max(from, text.length - value.length));
  }
  return hold;
}

/** Creates the per-request filter. The suffix automaton of the system prompt is built here, once. */
const automata = new Map<string, SuffixAutomaton | undefined>();
const MAX_CACHED_TEMPLATES = 16;

function automatonFor(template: string, minSpan: number): SuffixAutomaton | undefined {
  const key = `${minSpan}:${template}`;
  if (automata.has(key)) return automata.get(key);
  const codes = normalizeCodes(template);
  const sam = codes.length >= minSpan ? new SuffixAutomaton(codes) : undefined;
  if (automata.size >= MAX_CACHED_TEMPLATES) automata.delete(automata.keys().next().value!);
  automata.set(key, sam);
  return sam;
}

/** Shortest text PATTERNS can match ("AKIA" + 16): a shorter pending text cannot hold one. */
const MIN_PATTERN_LENGTH = 20;
/** AWS_SECRET's value length, and how far before it its ":"/"=" can be (["']?\s{0,3} between). */
const AWS_VALUE_LENGTH = 40;
const AWS_SEPARATOR_GAP = 5;
const NONE = -1e9;
/** 1 for [A-Za-z0-9_-] (the credential patterns' word characters). */
const WORD_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  WORD_CHAR[c] = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 ? 1 : 0;
}

/**
 * Everything the per-character loop needs about an ASCII unit, in one table read: the
 * suffix automaton's class (CLASS bits) and whether it is a separator there (SEP), whether
 * it is in [A-Za-z0-9_-] (WORD), and whether it is one of - J A B y Y : =, the only codes
 * that move a credential trigger (TRIGGER). Built once per prompt automaton.
 */
const CLASS = 0xfffff;
const SEP = 1 << 20;
const WORD = 1 << 21;
const TRIGGER = 1 << 22;
const TRIGGER_CODES = [45, 74, 65, 66, 89, 121, 58, 61];

function buildAsciiInfo(sam: SuffixAutomaton | undefined): Int32Array {
  const info = new Int32Array(128);
  for (let c = 0; c < 128; c++) {
    info[c] = (sam ? sam.asciiClass[c]! : 0) | (ASCII_SEPARATOR[c] === 1 ? SEP : 0) | (WORD_CHAR[c] === 1 ? WORD : 0);
  }
  for (const c of TRIGGER_CODES) info[c]! |= TRIGGER;
  return info;
}
const NO_PROMPT_INFO = buildAsciiInfo(undefined);
const asciiInfoBySam = new WeakMap<SuffixAutomaton, Int32Array>();

function asciiInfoFor(sam: SuffixAutomaton | undefined): Int32Array {
  if (!sam) return NO_PROMPT_INFO;
  let info = asciiInfoBySam.get(sam);
  if (!info) asciiInfoBySam.set(sam, (info = buildAsciiInfo(sam)));
  return info;
}
const EMPTY = new Int32Array(0);

export function createOutputFilter(opts: OutputFilterOptions): OutputFilter {
  const minSpan = opts.minVerbatimSpan ?? DEFAULT_MIN_VERBATIM_SPAN;
  if (!Number.isInteger(minSpan) || minSpan < 16) throw new RangeError("minVerbatimSpan must be an integer >= 16");
  if (opts.canary.length > 0 && opts.canary.length < MIN_SECRET_LENGTH) {
    throw new RangeError(`canary must be at least ${MIN_SECRET_LENGTH} characters`);
  }

  // The canary changes per request (its own small matcher); the secrets do not, and share
  // one automaton across requests.
  const canary = opts.canary ? new LiteralMatcher(opts.canary) : undefined;
  const secrets: string[] = [];
  for (const secret of new Set(opts.secretValues)) {
    if (secret.length >= MIN_SECRET_LENGTH && secret !== opts.canary) secrets.push(secret);
  }
  const secretSet = secrets.length > 0 ? literalSetFor(secrets) : undefined;
  const literals = opts.canary ? [opts.canary, ...secrets] : secrets;

  // A prompt shorter than the span can never be copied "for at least minSpan characters".
  // The automaton is built once per prompt template: the per-request canary is cut out of
  // the prompt here (the literal matcher above catches it), so every request shares it.
  let template = opts.systemPrompt;
  for (const marker of [opts.canary, ...(opts.perRequestMarkers ?? [])]) {
    if (marker) template = template.split(marker).join(" ");
  }
  return new StreamingFilter(canary, secretSet, automatonFor(template, minSpan), minSpan, literals);
}

/**
 * One stream's state. push() runs every detector inline in one loop over the chunk, with
 * their tables and states in locals (states written back after the chunk): a short chunk
 * costs a few table reads per character, no call and no field write per character.
 */
class StreamingFilter implements OutputFilter {
  private pending = ""; // received, not yet emitted
  private base = 0; // absolute offset of pending[0]
  // The last emitted pieces, by reference (no copy per push); each is at least one
  // character, so CONTEXT_LENGTH slots always hold the last CONTEXT_LENGTH characters.
  private readonly recent: string[] = new Array<string>(CONTEXT_LENGTH).fill("");
  private recentSlot = 0;
  private lastEmitted = -1; // code of the last emitted character (-1: none yet)
  private blocked: { reason: OutputBlockReason } | undefined = undefined;

  // Canary: KMP (as LiteralMatcher.feed). k: characters of it matched by the stream's end.
  private readonly lit: string; // "": no canary
  private readonly litFirst: number;
  private readonly fail: Int32Array;
  private k = 0;
  // Own secrets: the shared Aho-Corasick automaton (as LiteralSet.step).
  private readonly secretSet: LiteralSet | undefined;
  private readonly secretRoot: Int32Array;
  private secretState = 0;
  // System prompt: the shared suffix automaton's packed table (as VerbatimMatcher.feed);
  // a prompt too large for it goes through `wide` (a VerbatimMatcher) instead.
  private readonly sam: SuffixAutomaton | undefined; // set only when the packed table is used
  private readonly wide: VerbatimMatcher | undefined;
  private readonly table: Int32Array;
  private readonly asciiInfo: Int32Array;
  private readonly classes: number;
  private readonly sepClass: number;
  private readonly minSpan: number;
  /** Original offset of each of the last minSpan + 1 normalized characters. */
  private readonly ring: Int32Array;
  private vState = 0;
  private vMatched = 0; // normalized characters of the current verbatim run
  private vLastSep = false;
  private vSlot = 0; // next slot of ring

  // Cheap necessary conditions, tracked per character, decide whether the credential
  // regexes can match at all (they almost never can). Absolute offsets:
  private p1 = 0;
  private p2 = 0; // the two previous characters
  private trigger = NONE; // latest start of a "sk-", "eyJ", "IA" or "-B" (every PATTERNS match holds one)
  private header = NONE; // where a "-----B" ending at the last "-B" would start
  // AWS secrets need "...key" then ":" or "=" (within 4 characters).
  private keyEnd = NONE; // offset just after the last "key"
  private armedSeparator = NONE;
  // The current run of [A-Za-z0-9_-]: its first character and whether a "." precedes it.
  // A text ending in [a-z_] can only be held for "s..."/"e..." runs or dotted JWT
  // segments; when neither applies, holdStart skips the hold-back scan (see viable.ts).
  private runFirst = -1; // -1: the last character is not in such a run
  private runAfterDot = false;

  constructor(
    canary: LiteralMatcher | undefined,
    secretSet: LiteralSet | undefined,
    sam: SuffixAutomaton | undefined,
    minSpan: number,
    private readonly literals: readonly string[],
  ) {
    this.lit = canary ? canary.literal : "";
    this.litFirst = canary ? canary.first : -1;
    this.fail = canary ? canary.fail : EMPTY;
    this.secretSet = secretSet;
    this.secretRoot = secretSet ? secretSet.rootAscii : EMPTY;
    const packed = sam !== undefined && sam.wideTable === undefined;
    this.sam = packed ? sam : undefined;
    this.wide = sam && !packed ? new VerbatimMatcher(sam, minSpan) : undefined;
    this.table = packed ? sam.table : EMPTY;
    this.asciiInfo = asciiInfoFor(sam);
    this.classes = sam ? sam.classes : 0;
    this.sepClass = sam ? sam.asciiClass[SEPARATOR]! : 0;
    this.minSpan = minSpan;
    this.ring = new Int32Array(packed ? minSpan + 1 : 0);
  }

  push(chunk: string): OutputFilterResult {
    if (this.blocked) return { emit: "", blocked: this.blocked };
    const n = chunk.length;
    if (n === 0) return { emit: "" };
    const chunkBase = this.base + this.pending.length;
    this.pending += chunk;

    // Character-level detectors (canary, own secrets, system prompt) and the credential
    // triggers, in stream order, up to the first character that completes a match.
    let hit: Hit | undefined;
    const lit = this.lit;
    const litLength = lit.length;
    const litFirst = this.litFirst;
    const fail = this.fail;
    let k = this.k;
    const secretSet = this.secretSet;
    const secretRoot = this.secretRoot;
    let secretState = this.secretState;
    const sam = this.sam;
    const wide = this.wide;
    const table = this.table;
    const asciiInfo = this.asciiInfo;
    const classes = this.classes;
    const minSpan = this.minSpan;
    const ring = this.ring;
    let vState = this.vState;
    let vMatched = this.vMatched;
    let vLastSep = this.vLastSep;
    let vSlot = this.vSlot;
    let p1 = this.p1;
    let p2 = this.p2;
    let runFirst = this.runFirst;
    let runAfterDot = this.runAfterDot;

    for (let i = 0; i < n; i++) {
      const code = chunk.charCodeAt(i);
      const abs = chunkBase + i;
      // Canary (litLength 0: none); nothing to do for a character that neither continues a
      // partial match nor starts one, which is almost every character.
      if (litLength > 0 && (k !== 0 || code === litFirst)) {
        if (k === litLength) k = fail[k - 1]!;
        while (k > 0 && code !== lit.charCodeAt(k)) k = fail[k - 1]!;
        if (code === lit.charCodeAt(k)) k++;
        if (k === litLength) hit = { reason: "canary", start: abs - litLength + 1 };
      }
      if (secretSet) {
        // Most characters are read in the start state: one table read.
        secretState = secretState === 0 && code < 128 ? secretRoot[code]! : secretSet.step(secretState, code);
        if (secretState !== 0) {
          const length = secretSet.hitLength[secretState]!;
          if (length > 0) hit = better(hit, { reason: "own_secret", start: abs - length + 1 });
        }
      }
      let info: number;
      if (code < 128) info = asciiInfo[code]!;
      else if (sam) {
        const folded = normalizeCode(code);
        info = folded === SEPARATOR ? this.sepClass | SEP : sam.classOf(folded);
      } else info = 0;
      if (sam) {
        const sep = (info & SEP) !== 0;
        if (!sep || !vLastSep) {
          vLastSep = sep;
          ring[vSlot] = abs;
          vSlot = vSlot + 1 === ring.length ? 0 : vSlot + 1;
          const entry = table[vState * classes + (info & CLASS)]!;
          vState = entry >>> 16;
          const run = (entry << 16) >> 16; // sign-extends the low half: 0xffff is -1
          vMatched = run < 0 ? vMatched + 1 : run;
          if (vMatched >= minSpan) {
            this.vMatched = vMatched;
            this.vSlot = vSlot;
            hit = better(hit, { reason: "system_prompt", start: this.runStart() });
          }
        }
      } else if (wide?.feed(code, abs)) hit = better(hit, { reason: "system_prompt", start: wide.runStart()! });

      if ((info & TRIGGER) !== 0) {
        // Each offset is at or after the start of any match holding it (the last event
        // can sit further back than an earlier one: "-B"), hence the max.
        if (code === 45) {
          if (p1 === 107 && p2 === 115) this.trigger = Math.max(this.trigger, abs - 2); // sk-
        } else if (code === 74) {
          if (p1 === 121 && p2 === 101) this.trigger = Math.max(this.trigger, abs - 2); // eyJ
        } else if (code === 65) {
          if (p1 === 73) this.trigger = Math.max(this.trigger, abs - 1); // IA
        } else if (code === 66) {
          if (p1 === 45) {
            this.trigger = Math.max(this.trigger, abs - 5); // -B
            this.header = abs - 5;
          }
        } else if (code === 89 || code === 121) {
          if ((p1 | 32) === 101 && (p2 | 32) === 107) this.keyEnd = abs + 1; // key, any case
        } else if (abs - this.keyEnd <= 4) this.armedSeparator = abs; // ":" or "="
      }
      // Non-ASCII units have no WORD bit.
      if ((info & WORD) !== 0) {
        if (runFirst === -1) {
          runFirst = code;
          runAfterDot = p1 === 46;
        }
      } else runFirst = -1;
      p2 = p1;
      p1 = code;
      if (hit) break;
    }
    this.k = k;
    this.secretState = secretState;
    this.vState = vState;
    this.vMatched = vMatched;
    this.vLastSep = vLastSep;
    this.vSlot = vSlot;
    this.p1 = p1;
    this.p2 = p2;
    this.runFirst = runFirst;
    this.runAfterDot = runAfterDot;

    const pattern = this.patternHit();
    if (pattern) hit = better(hit, pattern);

    if (hit) {
      const emit = this.emitBeforeBlock(hit.start);
      this.blocked = { reason: hit.reason };
      this.pending = "";
      return { emit, blocked: this.blocked };
    }
    return { emit: this.emitUpTo(this.holdStart()) };
  }

  flush(): OutputFilterResult {
    if (this.blocked) return { emit: "", blocked: this.blocked };
    return { emit: this.emitUpTo(this.base + this.pending.length) };
  }

  /** Original offset where the current verbatim run starts (as VerbatimMatcher.runStart), -1 if none. */
  private runStart(): number {
    if (this.wide) return this.wide.runStart() ?? -1;
    const matched = this.vMatched;
    if (matched === 0) return -1;
    const size = this.ring.length;
    const at = this.vSlot - Math.min(matched, size - 1);
    return this.ring[at < 0 ? at + size : at]!;
  }

  /** The last CONTEXT_LENGTH emitted characters (lookbehinds, the AWS secret's name). */
  private context(): string {
    let text = "";
    for (let i = 1; i <= CONTEXT_LENGTH && text.length < CONTEXT_LENGTH; i++) {
      text = this.recent[(this.recentSlot - i + CONTEXT_LENGTH) % CONTEXT_LENGTH]! + text;
    }
    return text.length > CONTEXT_LENGTH ? text.slice(-CONTEXT_LENGTH) : text;
  }

  private emitUpTo(absEnd: number): string {
    const pending = this.pending;
    const n = Math.max(0, Math.min(pending.length, absEnd - this.base));
    if (n === 0) return "";
    let out: string;
    if (n === pending.length) {
      out = pending;
      this.pending = "";
    } else {
      out = pending.slice(0, n);
      this.pending = pending.slice(n);
    }
    this.base += n;
    this.lastEmitted = out.charCodeAt(n - 1);
    this.recent[this.recentSlot] = out;
    this.recentSlot = (this.recentSlot + 1) % CONTEXT_LENGTH;
    return out;
  }

  /** Earliest absolute offset that must stay held given the current automata states. */
  private holdStart(): number {
    const pending = this.pending;
    const base = this.base;
    const end = base + pending.length;
    const last = pending.charCodeAt(pending.length - 1);
    const runFirst = this.runFirst;
    const plain = ((last >= 97 && last <= 122) || last === 95) && runFirst !== 115 && runFirst !== 101 && !this.runAfterDot;
    let hold = plain ? end : base + viableTailStart(pending, 0, this.lastEmitted, this.header >= base);
    if (this.armedSeparator >= end - (AWS_VALUE_LENGTH + AWS_SEPARATOR_GAP)) {
      // Rare (an "...key =" just before): the exact check on the text with its context.
      const ctx = this.context();
      hold = Math.min(hold, base - ctx.length + patternHoldStart(ctx + pending, ctx.length));
    }
    let matched = this.k;
    if (this.secretSet) matched = Math.max(matched, this.secretSet.depth[this.secretState]!);
    if (matched > 0) hold = Math.min(hold, end - matched);
    const run = this.runStart();
    if (run >= 0) hold = Math.min(hold, run);
    return hold;
  }

  /** Credential-pattern hit in the pending text; the regexes run only when one could match there. */
  private patternHit(): Hit | undefined {
    const n = this.pending.length;
    const base = this.base;
    const mayMatch =
      n >= MIN_PATTERN_LENGTH && (this.trigger >= base || (n >= AWS_VALUE_LENGTH && this.armedSeparator >= base - AWS_SEPARATOR_GAP));
    if (!mayMatch) return undefined;
    const ctx = this.context();
    const hit = findPatternHit(ctx + this.pending, ctx.length);
    return hit && { reason: hit.reason, start: base - ctx.length + hit.start };
  }

  /**
   * On a block: the text before the match, minus a tail that could start a credential or a
   * secret (never half a key). Verbatim-prompt runs are not held here: shorter than the
   * span, they are not a leak, and releasing them makes the result independent of chunking.
   */
  private emitBeforeBlock(absStart: number): string {
    const safe = this.pending.slice(0, Math.max(0, absStart - this.base));
    const ctx = this.context();
    let keep = patternHoldStart(ctx + safe, ctx.length) - ctx.length;
    for (const literal of this.literals) keep = Math.min(keep, safe.length - literalPrefixSuffix(safe, literal));
    return this.emitUpTo(this.base + Math.max(0, keep));
  }
}
