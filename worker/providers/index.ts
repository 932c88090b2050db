/** The provider factory: one ChatProvider per (config, provider name), reused per isolate. */
import type { Config } from "../env";
import { createAnthropicProvider } from "./anthropic";
import { createMistralProvider } from "./mistral";
import { createOpenAIProvider } from "./openai";
import type { ChatProvider, ProviderName } from "./types";

export * from "./types";
export { modelRegistry, providerEndpoint, PROVIDERS } from "./models";

const FACTORIES: Record<ProviderName, (config: Config) => ChatProvider> = {
  openai: createOpenAIProvider,
  anthropic: createAnthropicProvider,
  mistral: createMistralProvider,
};

const cache = new WeakMap<Config, Map<ProviderName, ChatProvider>>();

export function getProvider(config: Config, name: ProviderName): ChatProvider {
  let byName = cache.get(config);
  if (!byName) cache.set(config, (byName = new Map()));
  let provider = byName.get(name);
  if (!provider) byName.set(name, (provider = FACTORIES[name](config)));
  return provider;
}
