/**
 * OpenAI. Reasoning models (o1, o3, o4, gpt-5...) reject `max_tokens` and need
 * `max_completion_tokens`; older chat models accept `max_tokens`, which every
 * OpenAI-compatible API understands, so it stays the default.
 */
import type { Config } from "../env";
import { createOpenAICompatibleProvider, type CompatOptions } from "./openai-compatible";
import type { ChatProvider, ModelConfig } from "./types";

const NEEDS_COMPLETION_TOKENS = /^(o\d|gpt-5)/;

export function createOpenAIProvider(config: Config, deps: Pick<CompatOptions, "fetch"> = {}): ChatProvider {
  return createOpenAICompatibleProvider(config, {
    name: "openai",
    tokenLimitField: (m: ModelConfig) => (NEEDS_COMPLETION_TOKENS.test(m.upstream) ? "max_completion_tokens" : "max_tokens"),
    // Lets OpenAI support correlate a call with our logs; a random UUID, nothing about the user.
    headers: (req) => ({ "X-Client-Request-Id": req.requestId }),
    ...deps,
  });
}
