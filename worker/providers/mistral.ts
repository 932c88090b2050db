/**
 * Mistral's OpenAI-compatible API. It rejects unknown fields with 422 ("extra_forbidden"),
 * including `stream_options` and `max_completion_tokens`; it sends usage in the last
 * streamed chunk on its own. So: `max_tokens`, no `stream_options`.
 */
import type { Config } from "../env";
import { createOpenAICompatibleProvider, type CompatOptions } from "./openai-compatible";
import type { ChatProvider } from "./types";

export function createMistralProvider(config: Config, deps: Pick<CompatOptions, "fetch"> = {}): ChatProvider {
  return createOpenAICompatibleProvider(config, {
    name: "mistral",
    tokenLimitField: () => "max_tokens",
    streamUsageOption: false,
    ...deps,
  });
}
