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
import { LiteralMatcher, literalPrefixSuffix } from "./literal";
import { SuffixAutomaton, VerbatimMatcher, normalizeCodes } from "./verbatim";

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

// A tail that could still grow into one of PATTERNS (superset of their prefixes).
const VIABLE = new RegExp(
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

export function createOutputFilter(opts: OutputFilterOptions): OutputFilter {
  const minSpan = opts.minVerbatimSpan ?? DEFAULT_MIN_VERBATIM_SPAN;
  if (!Number.isInteger(minSpan) || minSpan < 16) throw new RangeError("minVerbatimSpan must be an integer >= 16");
  if (opts.canary.length > 0 && opts.canary.length < MIN_SECRET_LENGTH) {
    throw new RangeError(`canary must be at least ${MIN_SECRET_LENGTH} characters`);
  }

  const literals: { matcher: LiteralMatcher; reason: OutputBlockReason }[] = [];
  if (opts.canary) literals.push({ matcher: new LiteralMatcher(opts.canary), reason: "canary" });
  for (const secret of new Set(opts.secretValues)) {
    if (secret.length >= MIN_SECRET_LENGTH && secret !== opts.canary) {
      literals.push({ matcher: new LiteralMatcher(secret), reason: "own_secret" });
    }
  }

  // A prompt shorter than the span can never be copied "for at least minSpan characters".
  // The automaton is built once per prompt template: the per-request canary is cut out of
  // the prompt here (the literal matcher above catches it), so every request shares it.
  const template = opts.canary ? opts.systemPrompt.split(opts.canary).join(" ") : opts.systemPrompt;
  const sam = automatonFor(template, minSpan);
  const verbatim = sam ? new VerbatimMatcher(sam, minSpan) : undefined;

  let pending = ""; // received, not yet emitted
  let base = 0; // absolute offset of pending[0]
  let context = ""; // last emitted characters
  let blocked: { reason: OutputBlockReason } | undefined;

  function emitUpTo(absEnd: number): string {
    const n = Math.max(0, Math.min(pending.length, absEnd - base));
    if (n === 0) return "";
    const out = pending.slice(0, n);
    pending = pending.slice(n);
    base += n;
    context = (context + out).slice(-CONTEXT_LENGTH);
    return out;
  }

  /** Earliest absolute offset that must stay held given the current automata states. */
  function holdStart(): number {
    const end = base + pending.length;
    let hold = end;
    const scan = context + pending;
    hold = Math.min(hold, base - context.length + patternHoldStart(scan, context.length));
    for (const { matcher } of literals) if (matcher.matched > 0) hold = Math.min(hold, end - matcher.matched);
    const run = verbatim?.runStart();
    if (run !== undefined) hold = Math.min(hold, run);
    return hold;
  }

  /**
   * On a block: the text before the match, minus a tail that could start a credential or a
   * secret (never half a key). Verbatim-prompt runs are not held here: shorter than the
   * span, they are not a leak, and releasing them makes the result independent of chunking.
   */
  function emitBeforeBlock(absStart: number): string {
    const safe = pending.slice(0, Math.max(0, absStart - base));
    let keep = patternHoldStart(context + safe, context.length) - context.length;
    for (const { matcher } of literals) keep = Math.min(keep, safe.length - literalPrefixSuffix(safe, matcher.literal));
    return emitUpTo(base + Math.max(0, keep));
  }

  return {
    push(chunk: string): OutputFilterResult {
      if (blocked) return { emit: "", blocked };
      if (chunk.length === 0) return { emit: "" };
      const chunkBase = base + pending.length;
      pending += chunk;

      // Character-level detectors (canary, own secrets, system prompt), in stream order.
      let hit: Hit | undefined;
      for (let i = 0; i < chunk.length && !hit; i++) {
        const code = chunk.charCodeAt(i);
        const abs = chunkBase + i;
        for (const { matcher, reason } of literals) {
          if (matcher.feed(code)) hit = better(hit, { reason, start: abs - matcher.literal.length + 1 });
        }
        if (verbatim?.feed(code, chunk[i]!, abs)) hit = better(hit, { reason: "system_prompt", start: verbatim.runStart()! });
      }

      const scan = context + pending;
      const pattern = findPatternHit(scan, context.length);
      if (pattern) hit = better(hit, { reason: pattern.reason, start: base - context.length + pattern.start });

      if (hit) {
        const emit = emitBeforeBlock(hit.start);
        blocked = { reason: hit.reason };
        pending = "";
        return { emit, blocked };
      }
      return { emit: emitUpTo(holdStart()) };
    },

    flush(): OutputFilterResult {
      if (blocked) return { emit: "", blocked };
      return { emit: emitUpTo(base + pending.length) };
    },
  };
}
