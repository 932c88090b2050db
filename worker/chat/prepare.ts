/**
 * Stages 3 to 6 of the chat pipeline, shared by /api/chat and /v1/chat/completions:
 * sanitize -> injection score -> PII mask -> hardened prompt. Pure except for audit/log.
 */
import type { AuthUser } from "../context";
import type { CriticalDomain } from "../stages/domain";
import type { DataKey } from "../accounts/data-keys";
import type { Config } from "../env";
import { AppError } from "../errors";
import type { AuditWriter } from "../lib/audit";
import { hmacSha256Hex } from "../crypto";
import type { Logger } from "../lib/log";
import type { Metrics } from "../lib/metrics";
import type { ChatMessage } from "../providers/types";
import type { ModelConfig } from "../providers/models";
import type { ModerationTrace } from "./moderation";
import { scoreInjection } from "../stages/injection";
import { maskPii, type PiiMapping } from "../stages/pii";
import { buildPrompt } from "../stages/prompt";
import { sanitize } from "../stages/sanitize";

export interface PreparedChat {
  user: AuthUser;
  requestId: string;
  model: ModelConfig;
  /** The sanitized message as the user wrote it: what is stored (encrypted). */
  userText: string;
  /** What the provider receives: system prompt + masked text. */
  messages: ChatMessage[];
  systemPrompt: string;
  canary: string;
  piiMapping: PiiMapping;
  piiCounts: Record<string, number>;
  injection: { level: string; score: number; rules: string[] };
  startedAt: number;
  /** The user's data key, fetched early so the answer can be stored even if PostgreSQL drops meanwhile. */
  dataKey?: Promise<DataKey>;
  /** The new message and the history as the provider sees them (masked): all that moderation may read. */
  maskedUserText: string;
  maskedHistory: ChatMessage[];
  /** Set by the moderation stage (worker/chat/moderation.ts), written to the usage row. */
  moderation?: ModerationTrace;
  /** Legal, financial or medical: the answer gets a disclaimer and a human-review trace. */
  criticalDomain?: CriticalDomain | null;
}

export async function prepareChat(args: {
  config: Config;
  user: AuthUser;
  requestId: string;
  model: ModelConfig;
  message: string;
  history?: ChatMessage[];
  audit: AuditWriter;
  log: Logger;
  /** The request's metrics recorder (`metricsFor(c)`); omitted: nothing is counted. */
  metrics?: Metrics;
}): Promise<PreparedChat> {
  const startedAt = Date.now();
  const { text } = sanitize(args.message);
  const userText = text.trim();
  if (!userText) throw new AppError("invalid_input", "The message is empty once invisible characters are removed.");

  const injection = scoreInjection(userText);
  if (injection.level !== "none") {
    const details = { rules: injection.rules, score: injection.score, length: userText.length, sha256: (await hmacSha256Hex(`audit-hash:${args.config.JWT_SECRET}`, userText)).slice(0, 32) };
    if (injection.level === "high") {
      args.audit({ type: "guard.prompt_injection", severity: "high", userId: args.user.id, requestId: args.requestId, details: { ...details, level: "high", action: "blocked" } });
      args.metrics?.recordPromptGuards({ injectionLevel: "high" });
      throw new AppError("prompt_injection");
    }
    if (injection.level === "medium") {
      args.audit({ type: "guard.prompt_injection", severity: "medium", userId: args.user.id, requestId: args.requestId, details: { ...details, level: "medium", action: "fenced" } });
    } else {
      args.log.info("injection score low", { rules: injection.rules, score: injection.score });
    }
  }

  // History and the new message are masked together so placeholders stay consistent
  // across turns. NUL never survives sanitization, so it can separate the segments.
  const SEP = "\u0000\u0001\u0000";
  const historyTexts = (args.history ?? []).map((m) => sanitize(m.content).text);
  const joined = maskPii([...historyTexts, userText].join(SEP));
  const segments = joined.masked.split(SEP);
  const maskedHistory: ChatMessage[] = (args.history ?? []).map((m, i) => ({ role: m.role, content: segments[i] ?? "" }));
  const masked = { masked: segments[segments.length - 1] ?? "", mapping: joined.mapping, counts: countPlaceholders(segments[segments.length - 1] ?? "") };
  args.metrics?.recordPromptGuards({ injectionLevel: injection.level, piiCounts: masked.counts });

  const canary = `UA-CANARY-${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const prompt = buildPrompt({
    lang: args.config.SYSTEM_PROMPT_LANG,
    canary,
    userText: masked.masked,
    fenced: injection.level === "medium",
    history: maskedHistory,
  });
  return {
    user: args.user,
    requestId: args.requestId,
    model: args.model,
    userText,
    messages: prompt.messages,
    systemPrompt: prompt.systemPrompt,
    canary,
    piiMapping: masked.mapping,
    piiCounts: masked.counts,
    injection: { level: injection.level, score: injection.score, rules: injection.rules },
    startedAt,
    maskedUserText: masked.masked,
    maskedHistory,
  };
}

export function costEur(model: ModelConfig, usage: { inputTokens: number; outputTokens: number }): number {
  const eur = (usage.inputTokens * model.inputEurPerMillion + usage.outputTokens * model.outputEurPerMillion) / 1_000_000;
  return Math.round(eur * 1e8) / 1e8;
}

/** PII found in the new message only (history was counted when it was sent). */
function countPlaceholders(masked: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of masked.matchAll(/\[(EMAIL|PHONE|NIR|IBAN|CREDIT_CARD)_\d+\]/g)) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  return counts;
}
