/**
 * Content moderation of what goes in and what comes out.
 *
 * One interface (`Moderator`, ./types.ts), two implementations chosen by MODERATION_PROVIDER:
 * "openai" (the moderation endpoint, one plain fetch, ./openai.ts), "workers-ai"
 * (Llama Guard on the optional AI binding, ./workers-ai.ts), or "off". Scores are judged
 * against per-category rules (./rules.ts): `block` or `flag` above a threshold.
 *
 * Privacy: the classifier only ever receives masked text (after sanitization and PII
 * masking; answers before placeholders are restored), never personal data.
 *
 * Failure policy (a check that throws, or exceeds MODERATION_TIMEOUT_MS, is "unavailable"):
 *   - input, MODERATION_INPUT_FAILURE=closed (default): the message is refused with 503
 *     `service_unavailable` (not the user's fault, retry later), no model call. `open`:
 *     the message goes on, marked unmoderated in the usage row.
 *   - output, MODERATION_OUTPUT_FAILURE=open (default): the answer finishes unchecked
 *     from then on (no further checks, so no extra delay), marked unmoderated in the
 *     usage row and audited `guard.moderation_unavailable`. `closed`: the stream ends with
 *     an error and what was shown is withdrawn.
 *
 * Output windows (createOutputGate): with W = MODERATION_OUTPUT_WINDOW_CHARS, the client is
 * never shown more than W characters beyond the end of the last clean check. Checks run in
 * the background every W/2 new characters, each on a window of about W characters (the new
 * half plus the previous half, so text spanning a boundary is seen whole), at most two at a
 * time, plus one final check on the rest before `done`. Hence:
 *   - time to first token is not delayed at all (the first W characters need no check);
 *   - the stream only pauses when the classifier is slower than the model's production of
 *     half a window (~200 tokens at the default W of 1,600), and never longer than one check;
 *   - flagged content reaches the client for at most one window (W characters) before the
 *     stream is cut, and `done` is only sent once every character has been checked.
 */
import type { Config } from "../../env";
import type { ModerationCategory, ModerationRules } from "./rules";
import { createOpenAIModerator } from "./openai";
import { ModerationUnavailable, type CategoryScores, type Direction, type ModerationRequest, type Moderator, type UnavailableReason } from "./types";
import { createWorkersAiModerator, type AiBinding } from "./workers-ai";

export * from "./types";
export { DEFAULT_MODERATION_RULES, MODERATION_CATEGORIES, type ModerationCategory, type ModerationRules } from "./rules";
export type { AiBinding } from "./workers-ai";

export type FailurePolicy = "open" | "closed";

export interface Verdict {
  action: "allow" | "flag" | "block";
  /** Categories over a `block` threshold. */
  blocked: ModerationCategory[];
  /** Categories over a `flag` threshold. */
  flagged: ModerationCategory[];
  /** Scores of the categories above, rounded (for audit rows). */
  scores: CategoryScores;
}

export type ModerationResult =
  | { ok: true; verdict: Verdict }
  | { ok: false; reason: UnavailableReason };

/** Applies the rules to a classifier's scores. */
export function decide(scores: CategoryScores, rules: ModerationRules): Verdict {
  const blocked: ModerationCategory[] = [];
  const flagged: ModerationCategory[] = [];
  const kept: CategoryScores = {};
  for (const [cat, rule] of Object.entries(rules) as [ModerationCategory, NonNullable<ModerationRules[ModerationCategory]>][]) {
    const score = scores[cat];
    if (score === undefined || score < rule.threshold) continue;
    (rule.action === "block" ? blocked : flagged).push(cat);
    kept[cat] = Math.round(score * 1000) / 1000;
  }
  return { action: blocked.length ? "block" : flagged.length ? "flag" : "allow", blocked, flagged, scores: kept };
}

const moderators = new WeakMap<Config, Moderator | null>();

/** The configured moderator (one per config), or null when MODERATION_PROVIDER=off. */
export function moderatorFor(config: Config, env: object | undefined): Moderator | null {
  if (moderators.has(config)) return moderators.get(config)!;
  let m: Moderator | null = null;
  if (config.MODERATION_PROVIDER === "openai") m = createOpenAIModerator(config);
  else if (config.MODERATION_PROVIDER === "workers-ai") m = createWorkersAiModerator(config, (env as { AI?: AiBinding } | undefined)?.AI);
  moderators.set(config, m);
  return m;
}

/**
 * One check with a deadline. Never throws: an error, an unusable answer or the deadline
 * is `{ok:false, reason}` so the caller applies its failure policy.
 */
export async function runModeration(
  moderator: Moderator,
  req: Omit<ModerationRequest, "signal"> & { signal?: AbortSignal },
  opts: { timeoutMs: number; rules: ModerationRules },
): Promise<ModerationResult> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  req.signal?.addEventListener("abort", onAbort, { once: true });
  if (req.signal?.aborted) ctl.abort();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), opts.timeoutMs);
  });
  try {
    const scores = await Promise.race([moderator.moderate({ ...req, signal: ctl.signal }), deadline]);
    if (scores === "timeout") return { ok: false, reason: "timeout" };
    return { ok: true, verdict: decide(scores, opts.rules) };
  } catch (e) {
    return { ok: false, reason: e instanceof ModerationUnavailable ? e.reason : "error" };
  } finally {
    clearTimeout(timer);
    ctl.abort(); // a late answer is dropped, the request cancelled
    req.signal?.removeEventListener("abort", onAbort);
  }
}

export interface OutputGateState {
  /** Set once the answer must stop: a `block` verdict, or the classifier unavailable under `closed`. */
  blocked?: { kind: "flagged"; categories: ModerationCategory[]; scores: CategoryScores } | { kind: "unavailable"; reason: UnavailableReason };
  /** Categories over a `flag` threshold in any window. */
  flagged: Set<ModerationCategory>;
  /** Set when a check failed under the `open` policy: the rest of the answer went unchecked. */
  unmoderated?: UnavailableReason;
  checks: number;
}

export interface OutputGate {
  /**
   * Raw (masked) model text in; the text that may be shown now. Synchronous unless the
   * client is a whole window ahead of the checks and must wait for one (the common case
   * costs no await per delta).
   */
  push(text: string): string | Promise<string>;
  /** End of the answer: checks what is left, resolves with the rest ("" once blocked). */
  finish(): Promise<string>;
  /** Cancels checks in flight (client gone, provider failed). */
  abort(): void;
  readonly state: OutputGateState;
}

const MAX_CHECKS_IN_FLIGHT = 2;

/**
 * The output windows described at the top of this file. `check` gets the window text and
 * must not throw (use runModeration).
 */
export function createOutputGate(opts: {
  windowChars: number;
  failure: FailurePolicy;
  check: (text: string, signal: AbortSignal) => Promise<ModerationResult>;
  /** Aborted: checks in flight are cancelled and their results ignored (client gone, answer over). */
  signal?: AbortSignal;
  /** Called once, as soon as the answer must stop. */
  onBlocked?: (blocked: NonNullable<OutputGateState["blocked"]>) => void;
}): OutputGate {
  const W = Math.max(2, Math.floor(opts.windowChars));
  const step = Math.ceil(W / 2);
  const ctl = new AbortController();
  if (opts.signal?.aborted) ctl.abort();
  else opts.signal?.addEventListener("abort", () => ctl.abort(), { once: true });
  const state: OutputGateState = { flagged: new Set(), checks: 0 };
  let text = "";
  let released = 0; // characters handed out
  let checkedEnd = 0; // end of the text covered by launched checks
  let vettedEnd = 0; // end of the longest prefix covered by passed checks
  let inFlight = 0;
  let passthrough = false; // `open` policy after a failure: no more checks
  const queue: { end: number; ok: boolean | undefined }[] = [];
  let waiters: (() => void)[] = [];
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  };
  const nextSettle = () => new Promise<void>((r) => waiters.push(r));
  const stopped = () => state.blocked !== undefined || passthrough || ctl.signal.aborted;

  const block = (b: NonNullable<OutputGateState["blocked"]>) => {
    if (state.blocked) return;
    state.blocked = b;
    ctl.abort();
    opts.onBlocked?.(b);
  };

  function launch() {
    const start = Math.max(0, checkedEnd - step); // overlap with the previous half window
    const end = text.length;
    const entry = { end, ok: undefined as boolean | undefined };
    queue.push(entry);
    checkedEnd = end;
    inFlight++;
    state.checks++;
    void opts.check(text.slice(start, end), ctl.signal).then((r) => {
      inFlight--;
      if (state.blocked || ctl.signal.aborted) return notify(); // blocked or aborted meanwhile: result ignored
      if (r.ok) {
        for (const c of r.verdict.flagged) state.flagged.add(c);
        if (r.verdict.action === "block") block({ kind: "flagged", categories: r.verdict.blocked, scores: r.verdict.scores });
        else entry.ok = true;
      } else if (opts.failure === "open") {
        state.unmoderated ??= r.reason;
        passthrough = true;
        entry.ok = true;
      } else {
        block({ kind: "unavailable", reason: r.reason });
      }
      while (queue.length && queue[0]!.ok) vettedEnd = queue.shift()!.end;
      notify();
    }, () => {
      inFlight--;
      if (!ctl.signal.aborted) block({ kind: "unavailable", reason: "error" }); // `check` broke its contract: fail safe
      notify();
    });
  }

  const pump = () => {
    while (!stopped() && inFlight < MAX_CHECKS_IN_FLIGHT && text.length - checkedEnd >= step) launch();
  };
  const take = () => {
    const limit = passthrough ? text.length : Math.min(text.length, vettedEnd + W);
    const out = text.slice(released, limit);
    released = Math.max(released, limit);
    return out;
  };

  const waitForChecks = async () => {
    while (!stopped() && text.length - vettedEnd > W) {
      await nextSettle();
      pump();
    }
    return state.blocked || ctl.signal.aborted ? "" : take();
  };

  return {
    state,
    push(chunk) {
      if (state.blocked || ctl.signal.aborted) return "";
      text += chunk;
      pump();
      if (!stopped() && text.length - vettedEnd > W) return waitForChecks();
      return take();
    },
    async finish() {
      while (!stopped() && vettedEnd < text.length) {
        if (checkedEnd < text.length && inFlight < MAX_CHECKS_IN_FLIGHT) launch();
        else await nextSettle();
      }
      const rest = state.blocked || ctl.signal.aborted ? "" : take();
      ctl.abort(); // the answer is over: checks still in flight (after an `open` failure) no longer matter
      return rest;
    },
    abort() {
      ctl.abort();
    },
  };
}

