/**
 * Moderation through a Workers AI safety classifier (Llama Guard 3 by default) on the
 * optional `AI` binding (`[ai] binding = "AI"` in wrangler.toml). Llama Guard answers
 * "safe" or "unsafe\nS1,S10" (or, on some versions, `{safe, categories}`); its hazard
 * codes are mapped onto our category names with a score of 1, so any rule applies.
 * Codes with no counterpart (specialized advice, privacy, IP, elections, code abuse) are
 * ignored.
 */
import type { Config } from "../../env";
import type { ModerationCategory } from "./rules";
import { ModerationUnavailable, type CategoryScores, type ModerationRequest, type Moderator } from "./types";

export const WORKERS_AI_MODERATION_MODEL = "@cf/meta/llama-guard-3-8b";

/** The part of the Workers AI binding used here (a fake in tests). */
export interface AiBinding {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

/** Llama Guard 3 hazard taxonomy (MLCommons) -> our categories. */
export const LLAMA_GUARD_CATEGORIES: Record<string, ModerationCategory | null> = {
  S1: "violence", // violent crimes
  S2: "illicit", // non-violent crimes
  S3: "illicit/violent", // sex-related crimes
  S4: "sexual/minors", // child sexual exploitation
  S5: "harassment", // defamation
  S6: null, // specialized advice
  S7: null, // privacy
  S8: null, // intellectual property
  S9: "illicit/violent", // indiscriminate weapons
  S10: "hate",
  S11: "self-harm", // suicide and self-harm
  S12: "sexual", // sexual content
  S13: null, // elections
  S14: null, // code interpreter abuse
};

/** Input/output text limits sent to the classifier (it judges the turn, not a novel). */
const MAX_CONTEXT_CHARS = 2_000;

export function parseLlamaGuard(out: unknown): CategoryScores {
  const response = (out as { response?: unknown } | null)?.response;
  let codes: string[];
  if (typeof response === "string") {
    const [verdict = "", ...rest] = response.trim().split(/\r?\n/);
    const v = verdict.trim().toLowerCase();
    if (v === "safe") return {};
    if (v !== "unsafe") throw new Error("unexpected classifier answer");
    codes = rest.join(",").split(/[,\s]+/);
  } else if (response && typeof response === "object") {
    const r = response as { safe?: unknown; categories?: unknown };
    if (typeof r.safe !== "boolean") throw new Error("unexpected classifier answer");
    if (r.safe) return {};
    codes = Array.isArray(r.categories) ? r.categories.map(String) : [];
  } else {
    throw new Error("unexpected classifier answer");
  }
  const scores: CategoryScores = {};
  for (const code of codes) {
    const key = code.trim().toUpperCase().match(/^S\d{1,2}/)?.[0];
    const cat = key ? LLAMA_GUARD_CATEGORIES[key] : undefined;
    if (cat) scores[cat] = 1;
  }
  return scores;
}

export function createWorkersAiModerator(config: Config, ai: AiBinding | undefined): Moderator {
  const model = config.MODERATION_MODEL ?? WORKERS_AI_MODERATION_MODEL;
  return {
    name: "workers-ai",
    async moderate(req: ModerationRequest): Promise<CategoryScores> {
      if (!ai || typeof ai.run !== "function") throw new ModerationUnavailable("misconfigured", "the AI binding is missing");
      const text = req.texts.join("\n\n");
      // Llama Guard classifies the last turn: an answer is judged after the message it replies to.
      const messages = req.direction === "input"
        ? [{ role: "user", content: text }]
        : [{ role: "user", content: (req.context ?? "").slice(0, MAX_CONTEXT_CHARS) || "-" }, { role: "assistant", content: text }];
      const out = await ai.run(model, { messages }, { signal: req.signal });
      return parseLlamaGuard(out);
    },
  };
}
