/**
 * Moderation through OpenAI's moderation endpoint (`omni-moderation-latest` by default),
 * at OPENAI_BASE_URL with OPENAI_API_KEY. It returns a score per category under the names
 * used by our rules, so scores are taken as they are; with several inputs, the highest
 * score per category wins.
 *
 * One plain `fetch` rather than the `openai` SDK: the input check sits on the time to first
 * token, and the SDK's request building, retries machinery and response wrapping roughly
 * doubled the cost of this single small call. Its deadline is the stage's (runModeration
 * aborts `req.signal`); any non-2xx status or malformed answer throws, so the caller's
 * failure policy applies.
 */
import type { Config } from "../../env";
import { MODERATION_CATEGORIES, type ModerationCategory } from "./rules";
import { ModerationUnavailable, type CategoryScores, type ModerationRequest, type Moderator } from "./types";

export const OPENAI_MODERATION_MODEL = "omni-moderation-latest";

interface ModerationResponse {
  results?: { category_scores?: Record<string, unknown> | null }[];
}

export function createOpenAIModerator(config: Config, deps: { fetch?: typeof fetch } = {}): Moderator {
  const apiKey = config.OPENAI_API_KEY;
  const model = config.MODERATION_MODEL ?? OPENAI_MODERATION_MODEL;
  const url = `${config.OPENAI_BASE_URL.replace(/\/+$/, "")}/moderations`;
  const doFetch = deps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  return {
    name: "openai",
    async moderate(req: ModerationRequest): Promise<CategoryScores> {
      if (!apiKey) throw new ModerationUnavailable("misconfigured", "OPENAI_API_KEY is not set");
      const input = req.texts.length === 1 ? req.texts[0]! : req.texts;
      const res = await doFetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ model, input }),
        signal: req.signal,
      });
      if (!res.ok) {
        void res.body?.cancel().catch(() => {}); // the error body is not needed (and never logged)
        throw new ModerationUnavailable(res.status === 401 || res.status === 403 ? "misconfigured" : "error", `moderation endpoint answered HTTP ${res.status}`);
      }
      const body = (await res.json()) as ModerationResponse | null;
      // An answer without results would read as "nothing detected": treat it as unusable instead.
      if (!body || !Array.isArray(body.results) || body.results.length === 0) throw new ModerationUnavailable("error", "moderation answer without results");
      const scores: CategoryScores = {};
      for (const result of body.results) {
        const raw = result?.category_scores;
        if (!raw || typeof raw !== "object") throw new ModerationUnavailable("error", "moderation result without scores");
        for (const cat of MODERATION_CATEGORIES) {
          const s = raw[cat];
          if (typeof s === "number" && Number.isFinite(s)) scores[cat as ModerationCategory] = Math.max(scores[cat] ?? 0, s);
        }
      }
      return scores;
    },
  };
}
