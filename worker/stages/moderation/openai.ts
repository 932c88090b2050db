/**
 * Moderation through OpenAI's moderation endpoint (`omni-moderation-latest` by default),
 * with the `openai` SDK, at OPENAI_BASE_URL with OPENAI_API_KEY. It returns a score per
 * category under the names used by our rules, so scores are taken as they are; with
 * several inputs, the highest score per category wins.
 */
import OpenAI from "openai";
import type { Config } from "../../env";
import { MODERATION_CATEGORIES, type ModerationCategory } from "./rules";
import { ModerationUnavailable, type CategoryScores, type ModerationRequest, type Moderator } from "./types";

export const OPENAI_MODERATION_MODEL = "omni-moderation-latest";

export function createOpenAIModerator(config: Config, deps: { fetch?: typeof fetch } = {}): Moderator {
  const apiKey = config.OPENAI_API_KEY;
  const model = config.MODERATION_MODEL ?? OPENAI_MODERATION_MODEL;
  const doFetch = deps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  let client: OpenAI | undefined;
  const getClient = () =>
    (client ??= new OpenAI({
      apiKey: apiKey!,
      baseURL: config.OPENAI_BASE_URL,
      // Everything explicit so nothing is read from process.env.
      adminAPIKey: null,
      organization: null,
      project: null,
      maxRetries: 0,
      // Backstop only: the stage's own deadline decides.
      timeout: config.MODERATION_TIMEOUT_MS + 5_000,
      logLevel: "off",
      fetch: doFetch as never,
    }));

  return {
    name: "openai",
    async moderate(req: ModerationRequest): Promise<CategoryScores> {
      if (!apiKey) throw new ModerationUnavailable("misconfigured", "OPENAI_API_KEY is not set");
      const input = req.texts.length === 1 ? req.texts[0]! : req.texts;
      const res = await getClient().moderations.create({ model, input }, { signal: req.signal, maxRetries: 0 });
      const scores: CategoryScores = {};
      for (const result of res.results ?? []) {
        const raw = (result.category_scores ?? {}) as unknown as Record<string, number | null | undefined>;
        for (const cat of MODERATION_CATEGORIES) {
          const s = raw[cat];
          if (typeof s === "number" && Number.isFinite(s)) scores[cat as ModerationCategory] = Math.max(scores[cat] ?? 0, s);
        }
      }
      return scores;
    },
  };
}
