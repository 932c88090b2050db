/**
 * Validation stage: the chat body, strictly. Message 1..10,000 characters after trimming,
 * an optional conversation UUID, an optional model from the allowlist; anything else 400.
 */
import { z } from "zod";
import type { ModelConfig } from "../../providers/models";

export const MAX_MESSAGE_CHARS = 10_000;

export interface ChatBody {
  message: string;
  conversationId?: string;
  model: ModelConfig;
}

export function createChatBodySchema(models: Map<string, ModelConfig>, defaultModel: string) {
  if (!models.has(defaultModel)) throw new Error(`default model ${defaultModel} is not in the allowlist`);
  const ids = [...models.keys()] as [string, ...string[]];
  return z.strictObject({
    message: z.string().trim().min(1, "The message is empty.").max(MAX_MESSAGE_CHARS, `The message exceeds ${MAX_MESSAGE_CHARS} characters.`),
    conversationId: z.uuid().optional(),
    model: z.enum(ids).optional(),
  }).transform((b): ChatBody => ({ message: b.message, conversationId: b.conversationId, model: models.get(b.model ?? defaultModel)! }));
}

const schemas = new WeakMap<Map<string, ModelConfig>, { defaultModel: string; schema: ReturnType<typeof createChatBodySchema> }>();

/** The chat body schema, built once per model registry (i.e. once per isolate and config). */
export function chatBodySchema(models: Map<string, ModelConfig>, defaultModel: string) {
  let entry = schemas.get(models);
  if (!entry || entry.defaultModel !== defaultModel) {
    entry = { defaultModel, schema: createChatBodySchema(models, defaultModel) };
    schemas.set(models, entry);
  }
  return entry.schema;
}
