/**
 * Stage 8: placeholders restored, then the output filter, before any byte reaches the
 * client. Once blocked, nothing more is emitted.
 */
import type { Config } from "../env";
import { createOutputFilter } from "../stages/output-filter";
import { createPiiRestorer, type PiiMapping } from "../stages/pii";
import { perRequestMarkers } from "../stages/prompt";

export interface OutputStep {
  emit: string;
  blocked?: { reason: string };
}

const secretValuesByConfig = new WeakMap<Config, string[]>();

/** Values of this Worker's own secrets, never to appear in an answer: built once per parsed config (per isolate), not on every chat. */
export function ownSecretValues(config: Config): string[] {
  let values = secretValuesByConfig.get(config);
  if (!values) secretValuesByConfig.set(config, (values = collectSecretValues(config)));
  return values;
}

function collectSecretValues(config: Config): string[] {
  return [
    config.JWT_SECRET, config.ADMIN_TOKEN, config.METRICS_TOKEN, config.UPSTASH_REDIS_REST_TOKEN,
    config.OPENAI_API_KEY, config.ANTHROPIC_API_KEY, config.MISTRAL_API_KEY, config.EMAIL_API_KEY, config.DATABASE_URL,
    ...config.ENCRYPTION_KEYS.map((k) => btoa(String.fromCharCode(...k.key))),
  ].filter((v): v is string => typeof v === "string" && v.length >= 8);
}

export function createOutputPipeline(opts: { config: Config; mapping: PiiMapping; canary: string; systemPrompt: string }) {
  const restorer = createPiiRestorer(opts.mapping);
  // The filter checks exactly what the user would see: the restored text.
  const filter = createOutputFilter({
    canary: opts.canary, systemPrompt: opts.systemPrompt, secretValues: ownSecretValues(opts.config),
    perRequestMarkers: perRequestMarkers(opts.systemPrompt), // fenced prompts share the template's automaton
  });
  let blocked: { reason: string } | undefined;
  return {
    push(text: string): OutputStep {
      if (blocked) return { emit: "", blocked };
      const r = filter.push(restorer.push(text));
      if (r.blocked) blocked = r.blocked;
      return r;
    },
    flush(): OutputStep {
      if (blocked) return { emit: "", blocked };
      const a = filter.push(restorer.flush());
      if (a.blocked) return (blocked = a.blocked), a;
      const b = filter.flush();
      if (b.blocked) blocked = b.blocked;
      return { emit: a.emit + b.emit, blocked: b.blocked };
    },
  };
}
