/**
 * The moderation stage wired into the chat pipeline (both surfaces); the classifier, rules,
 * failure policy and output windows are in worker/stages/moderation.
 *   - moderateInput: after PII masking, before the call guards and the model call. Blocked:
 *     400 `content_blocked`; classifier unavailable under the `closed` policy: 503
 *     `service_unavailable`. No model call, no cost, no usage row in either case.
 *   - createModeratedOutput: the output windows in front of the restore + filter pipeline,
 *     on the model's raw (still masked) text.
 * Audit events carry direction, categories, rounded scores, never text:
 * `guard.content_blocked`, `guard.content_flagged`, `guard.moderation_unavailable`.
 */
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { hmacSha256Hex } from "../crypto";
import { AppError } from "../errors";
import type { Severity } from "../lib/audit";
import { metricsFor } from "../lib/metrics";
import {
  createOutputGate, moderatorFor, runModeration,
  type Direction, type ModerationCategory, type OutputGateState, type UnavailableReason,
} from "../stages/moderation";
import type { OutputStep } from "./output";
import type { PreparedChat } from "./prepare";

export type ModerationLang = "fr" | "en";

/** Plain-words messages for the client (the web page shows `message` as it is). */
export const MODERATION_MESSAGES: Record<ModerationLang, Record<"inputBlocked" | "outputBlocked" | "inputUnavailable" | "outputUnavailable", string>> = {
  fr: {
    inputBlocked: "Votre message n'a pas été envoyé : il contient un contenu que ce service ne peut pas traiter. Vous pouvez le reformuler.",
    outputBlocked: "La réponse a été interrompue : elle contenait un contenu qui ne peut pas être affiché. Ce qui en était déjà affiché a été retiré.",
    inputUnavailable: "Le contrôle du contenu est momentanément indisponible. Réessayez dans quelques instants.",
    outputUnavailable: "La réponse a été interrompue : son contenu n'a pas pu être vérifié. Réessayez dans quelques instants.",
  },
  en: {
    inputBlocked: "Your message was not sent: it contains content this service cannot process. You can rephrase it.",
    outputBlocked: "The answer was stopped: it contained content that cannot be shown. What had already appeared has been withdrawn.",
    inputUnavailable: "Content checking is temporarily unavailable. Please try again in a moment.",
    outputUnavailable: "The answer was stopped: its content could not be checked. Please try again in a moment.",
  },
};

/** Output-side stop reasons carried in OutputStep.blocked.reason. */
export const MODERATION_BLOCK = "moderation";
export const MODERATION_UNAVAILABLE = "moderation_unavailable";

/** What the usage row says about moderation (details.moderation*). */
export interface ModerationTrace {
  provider: string;
  input?: "ok" | "flagged" | "unmoderated";
  output?: "ok" | "flagged" | "blocked" | "unmoderated";
  /** Categories over a threshold, both directions (flag or block). */
  categories: ModerationCategory[];
  unavailable?: UnavailableReason;
}

export function moderationDetails(t: ModerationTrace | undefined): Record<string, unknown> {
  if (!t) return {};
  if (t.provider === "off") return { moderation: "off" };
  const unchecked = (["input", "output"] as const).filter((d) => t[d] === "unmoderated");
  const status = t.output === "blocked" ? "blocked"
    : unchecked.length ? "unmoderated"
    : t.input === "flagged" || t.output === "flagged" ? "flagged"
    : "ok";
  return {
    moderation: status,
    ...(t.categories.length ? { moderationCategories: [...new Set(t.categories)] } : {}),
    ...(unchecked.length ? { moderationUnchecked: unchecked, moderationFailure: t.unavailable } : {}),
  };
}

/** The client's language when it prefers French or English, else SYSTEM_PROMPT_LANG. */
export function moderationLang(c: Context<AppEnv>): ModerationLang {
  const ranked = (c.req.header("accept-language") ?? "").split(",").map((part, i) => {
    const [tag = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? 1);
    return { lang: tag.split("-")[0], q: Number.isFinite(q) ? q : 0, i };
  }).filter((x) => x.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  const hit = ranked.find((x) => x.lang === "fr" || x.lang === "en");
  return (hit?.lang as ModerationLang | undefined) ?? c.get("config").SYSTEM_PROMPT_LANG;
}

const severityOf = (direction: Direction, categories: readonly ModerationCategory[]): Severity =>
  categories.includes("sexual/minors") ? "critical" : direction === "output" ? "high" : "medium";

/** Client-supplied history (OpenAI-compatible surface) is checked too, newest first, up to this. */
const MAX_INPUT_CHARS = 20_000;

/**
 * Checks the (masked) new message, and with `includeHistory` the client-supplied history.
 * Throws AppError when the message must not reach the model; records the trace on `p`.
 */
export async function moderateInput(c: Context<AppEnv>, p: PreparedChat, opts: { includeHistory?: boolean } = {}): Promise<void> {
  const config = c.get("config");
  const moderator = moderatorFor(config, c.env);
  const trace: ModerationTrace = { provider: moderator?.name ?? "off", categories: [] };
  p.moderation = trace;
  if (!moderator) return;

  const texts = [p.maskedUserText];
  if (opts.includeHistory) {
    let total = p.maskedUserText.length;
    for (const m of [...p.maskedHistory].reverse()) {
      if (!m.content || total + m.content.length > MAX_INPUT_CHARS) break;
      texts.push(m.content);
      total += m.content.length;
    }
  }
  const r = await runModeration(moderator, { direction: "input", texts }, { timeoutMs: config.MODERATION_TIMEOUT_MS, rules: config.MODERATION_RULES_JSON });
  const audit = c.get("audit");
  const base = { userId: p.user.id, requestId: p.requestId };
  if (!r.ok) {
    const policy = config.MODERATION_INPUT_FAILURE;
    c.get("log").warn("moderation unavailable", { direction: "input", provider: moderator.name, reason: r.reason, policy });
    audit({ type: "guard.moderation_unavailable", severity: "medium", ...base, details: { direction: "input", provider: moderator.name, reason: r.reason, policy } });
    if (policy === "closed") {
      throw new AppError("service_unavailable", MODERATION_MESSAGES[moderationLang(c)].inputUnavailable, { headers: { "Retry-After": "5" } });
    }
    trace.input = "unmoderated";
    trace.unavailable = r.reason;
    return;
  }
  const v = r.verdict;
  trace.categories.push(...v.blocked, ...v.flagged);
  if (v.action === "block") {
    const sha256 = (await hmacSha256Hex(`audit-hash:${config.JWT_SECRET}`, p.userText)).slice(0, 32);
    audit({ type: "guard.content_blocked", severity: severityOf("input", v.blocked), ...base, details: {
      direction: "input", provider: moderator.name, categories: v.blocked, flagged: v.flagged, scores: v.scores, length: p.userText.length, sha256,
    } });
    metricsFor(c).recordModerationBlock("input", v.blocked);
    throw new AppError("content_blocked", MODERATION_MESSAGES[moderationLang(c)].inputBlocked);
  }
  if (v.action === "flag") {
    audit({ type: "guard.content_flagged", severity: "low", ...base, details: { direction: "input", provider: moderator.name, categories: v.flagged, scores: v.scores } });
  }
  trace.input = v.action === "flag" ? "flagged" : "ok";
}

export interface ModeratedOutput {
  /**
   * Raw model text in; what the restore + filter pipeline lets out, or a stop. Synchronous
   * unless the output windows must wait for a check (see createOutputGate).
   */
  push(text: string): OutputStep | Promise<OutputStep>;
  /** End of the answer: the final check, then the pipeline's tail. */
  flush(): Promise<OutputStep>;
}

/** The SSE error for a moderation stop (reason from OutputStep.blocked), or null for another stop. */
export function moderationStop(c: Context<AppEnv>, reason: string): { code: "content_blocked" | "service_unavailable"; message: string } | null {
  const m = MODERATION_MESSAGES[moderationLang(c)];
  if (reason === MODERATION_BLOCK) return { code: "content_blocked", message: m.outputBlocked };
  if (reason === MODERATION_UNAVAILABLE) return { code: "service_unavailable", message: m.outputUnavailable };
  return null;
}

/**
 * Wraps the output pipeline (restore + filter) with the output windows. `signal` (the
 * stream's controller) cancels checks in flight when the client leaves or the answer stops.
 */
export function createModeratedOutput(c: Context<AppEnv>, p: PreparedChat, output: { push(t: string): OutputStep; flush(): OutputStep }, signal?: AbortSignal): ModeratedOutput {
  const config = c.get("config");
  const moderator = moderatorFor(config, c.env);
  const trace = (p.moderation ??= { provider: moderator?.name ?? "off", categories: [] });
  if (!moderator) return { push: (t) => output.push(t), flush: async () => output.flush() };

  const audit = c.get("audit");
  const base = { userId: p.user.id, requestId: p.requestId };
  const provider = moderator.name;
  trace.output = "ok";
  let shown = 0; // characters released so far (for the audit row)
  const gate = createOutputGate({
    windowChars: config.MODERATION_OUTPUT_WINDOW_CHARS,
    failure: config.MODERATION_OUTPUT_FAILURE,
    check: (text, sig) => runModeration(moderator, { direction: "output", texts: [text], context: p.maskedUserText, signal: sig }, { timeoutMs: config.MODERATION_TIMEOUT_MS, rules: config.MODERATION_RULES_JSON }),
    signal,
    onBlocked: (b) => {
      trace.output = "blocked";
      if (b.kind === "flagged") {
        trace.categories.push(...b.categories);
        audit({ type: "guard.content_blocked", severity: severityOf("output", b.categories), ...base, details: { direction: "output", provider, categories: b.categories, scores: b.scores, shownChars: shown } });
        metricsFor(c).recordModerationBlock("output", b.categories);
      } else {
        trace.unavailable = b.reason;
        c.get("log").warn("moderation unavailable", { direction: "output", provider, reason: b.reason, policy: "closed" });
        audit({ type: "guard.moderation_unavailable", severity: "medium", ...base, details: { direction: "output", provider, reason: b.reason, policy: "closed", shownChars: shown } });
      }
    },
  });

  const audited = new Set<ModerationCategory>();
  let unavailableAudited = false;
  /** Flags and an `open` failure are audited as soon as they are known. */
  const sync = (s: OutputGateState) => {
    if (s.flagged.size === audited.size && (!s.unmoderated || unavailableAudited)) return; // nothing new (every delta)
    const fresh = [...s.flagged].filter((cat) => !audited.has(cat));
    if (fresh.length) {
      for (const cat of fresh) audited.add(cat);
      trace.categories.push(...fresh);
      if (trace.output === "ok") trace.output = "flagged";
      audit({ type: "guard.content_flagged", severity: "low", ...base, details: { direction: "output", provider, categories: fresh } });
    }
    if (s.unmoderated && !unavailableAudited) {
      unavailableAudited = true;
      if (trace.output !== "blocked") trace.output = "unmoderated";
      trace.unavailable = s.unmoderated;
      c.get("log").warn("moderation unavailable", { direction: "output", provider, reason: s.unmoderated, policy: "open" });
      audit({ type: "guard.moderation_unavailable", severity: "medium", ...base, details: { direction: "output", provider, reason: s.unmoderated, policy: "open", shownChars: shown } });
    }
  };
  const stop = (): OutputStep => ({ emit: "", blocked: { reason: gate.state.blocked!.kind === "flagged" ? MODERATION_BLOCK : MODERATION_UNAVAILABLE } });

  const pass = (released: string): OutputStep => {
    sync(gate.state);
    if (gate.state.blocked) return stop();
    shown += released.length;
    return output.push(released);
  };
  return {
    push(text) {
      const released = gate.push(text);
      return typeof released === "string" ? pass(released) : released.then(pass);
    },
    async flush() {
      const rest = await gate.finish();
      sync(gate.state);
      if (gate.state.blocked) return stop();
      shown += rest.length;
      const a = output.push(rest);
      if (a.blocked) return a;
      const b = output.flush();
      return { emit: a.emit + b.emit, blocked: b.blocked };
    },
  };
}
