/**
 * Anthropic through its OpenAI SDK compatibility endpoint (base URL .../v1).
 * Supported as used here: max_tokens, stream, stream_options (usage in the last chunk).
 * Anthropic hoists and concatenates all system messages to the start of the prompt, which
 * matches how we build prompts (one system message, first).
 */
import type { Config } from "../env";
import { createOpenAICompatibleProvider, type CompatOptions } from "./openai-compatible";
import type { ChatProvider } from "./types";

export function createAnthropicProvider(config: Config, deps: Pick<CompatOptions, "fetch"> = {}): ChatProvider {
  return createOpenAICompatibleProvider(config, { name: "anthropic", tokenLimitField: () => "max_tokens", ...deps });
}
