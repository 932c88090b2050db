/**
 * The model allowlist: each model's provider, upstream name, EUR price per million
 * tokens and output cap. Overridable as a whole with the MODELS_JSON var.
 */
import { z } from "zod";
import type { Config } from "../env";

export const PROVIDERS = ["openai", "anthropic", "mistral"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const modelSchema = z.object({
  provider: z.enum(PROVIDERS),
  upstream: z.string().min(1),
  inputEurPerMillion: z.number().nonnegative(),
  outputEurPerMillion: z.number().nonnegative(),
  maxOutputTokens: z.number().int().positive().max(32_768),
  /** Another model id to use while this one's provider breaker is open. */
  fallback: z.string().optional(),
});
export type ModelConfig = z.infer<typeof modelSchema> & { id: string };

const DEFAULT_MODELS: Record<string, z.infer<typeof modelSchema>> = {
  "gpt-4o-mini": { provider: "openai", upstream: "gpt-4o-mini", inputEurPerMillion: 0.14, outputEurPerMillion: 0.56, maxOutputTokens: 1024, fallback: "mistral-small" },
  "gpt-4o": { provider: "openai", upstream: "gpt-4o", inputEurPerMillion: 2.3, outputEurPerMillion: 9.2, maxOutputTokens: 1024 },
  "claude-haiku": { provider: "anthropic", upstream: "claude-haiku-4-5", inputEurPerMillion: 0.92, outputEurPerMillion: 4.6, maxOutputTokens: 1024 },
  "mistral-small": { provider: "mistral", upstream: "mistral-small-latest", inputEurPerMillion: 0.1, outputEurPerMillion: 0.3, maxOutputTokens: 1024 },
};

const cache = new WeakMap<Config, Map<string, ModelConfig>>();

export function modelRegistry(config: Config): Map<string, ModelConfig> {
  let registry = cache.get(config);
  if (!registry) {
    const raw = config.MODELS_JSON ? z.record(z.string(), modelSchema).parse(JSON.parse(config.MODELS_JSON)) : DEFAULT_MODELS;
    registry = new Map(Object.entries(raw).map(([id, m]) => [id, { ...m, id }]));
    cache.set(config, registry);
  }
  return registry;
}

export function providerEndpoint(config: Config, provider: ProviderName): { baseUrl: string; apiKey?: string } {
  switch (provider) {
    case "openai":
      return { baseUrl: config.OPENAI_BASE_URL, apiKey: config.OPENAI_API_KEY };
    case "anthropic":
      return { baseUrl: config.ANTHROPIC_BASE_URL, apiKey: config.ANTHROPIC_API_KEY };
    case "mistral":
      return { baseUrl: config.MISTRAL_BASE_URL, apiKey: config.MISTRAL_API_KEY };
  }
}
