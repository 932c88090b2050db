/**
 * The Worker's bindings, parsed with zod once per isolate. Error messages name the
 * missing or malformed keys, never their values.
 */
import { z } from "zod";
import { moderationRulesSetting } from "./stages/moderation/rules";

export interface Env {
  CIRCUIT_BREAKER: DurableObjectNamespace;
  OUTBOX: DurableObjectNamespace;
  [key: string]: unknown;
}

const csv = z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean));
const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const optionalUrl = z.union([z.literal(""), z.url()]).optional().transform((v) => v || undefined);
const optionalSecret = z.string().optional().transform((v) => v || undefined);

/** A monthly budget in EUR; empty means unlimited (null). */
const budgetEur = (def: number | null) =>
  z.union([z.literal(""), z.coerce.number().nonnegative().max(1_000_000)]).optional()
    .transform((v) => (v === undefined ? def : v === "" ? null : v));
const positiveInt = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);

const base64Key = /^[A-Za-z0-9+/]+={0,2}$/;
/** `kid:base64key,...`, each key 32 bytes; the first is current. */
export const keyRingSchema = z.string().min(1).transform((s, ctx) => {
  const keys: { id: string; key: Uint8Array }[] = [];
  for (const part of s.split(",").map((p) => p.trim()).filter(Boolean)) {
    const sep = part.indexOf(":");
    const id = part.slice(0, sep);
    const b64 = part.slice(sep + 1);
    if (sep < 1 || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || !base64Key.test(b64)) {
      ctx.addIssue({ code: "custom", message: "each entry must be kid:base64key" });
      return z.NEVER;
    }
    let key: Uint8Array;
    try {
      key = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    } catch {
      // atob throws a DOMException on undecodable input (e.g. "QUJDR", "AAAA="): report it
      // as an issue of this key, never let it escape as an unnamed error.
      ctx.addIssue({ code: "custom", message: "each key must be valid base64" });
      return z.NEVER;
    }
    if (key.length !== 32) {
      ctx.addIssue({ code: "custom", message: "each key must be 32 bytes" });
      return z.NEVER;
    }
    keys.push({ id, key });
  }
  if (keys.length === 0 || new Set(keys.map((k) => k.id)).size !== keys.length) {
    ctx.addIssue({ code: "custom", message: "needs at least one key and unique ids" });
    return z.NEVER;
  }
  return keys;
});

const jsonRecord = z.string().optional().transform((v, ctx) => {
  if (!v) return {} as Record<string, string>;
  try {
    return z.record(z.string(), z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).parse(JSON.parse(v));
  } catch {
    ctx.addIssue({ code: "custom", message: "must be a JSON object of key name to YYYY-MM-DD" });
    return z.NEVER;
  }
});

export const configSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** "on": chat answers carry a Server-Timing header of per-stage durations (no user data; for benchmarks). */
  SERVER_TIMING: z.enum(["on", "off"]).default("off"),
  CORS_ORIGINS: csv.pipe(z.array(z.url().refine((u) => u !== "*")).max(50)).default([]),
  BODY_LIMIT_BYTES: int(65536),
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(8),
  REDIS_KEY_PREFIX: z.string().max(64).default("ua:"),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//),
  NEON_LOCAL_PROXY: z.string().optional().transform((v) => v || undefined),
  OPENAI_BASE_URL: z.url().default("https://api.openai.com/v1"),
  ANTHROPIC_BASE_URL: z.url().default("https://api.anthropic.com/v1"),
  MISTRAL_BASE_URL: z.url().default("https://api.mistral.ai/v1"),
  OPENAI_API_KEY: optionalSecret,
  ANTHROPIC_API_KEY: optionalSecret,
  MISTRAL_API_KEY: optionalSecret,
  DEFAULT_MODEL: z.string().min(1).default("gpt-4o-mini"),
  MODELS_JSON: z.string().optional().transform((v) => v || undefined),
  PROVIDER_TIMEOUT_MS: int(30_000),
  PROVIDER_IDLE_TIMEOUT_MS: int(10_000),
  SYSTEM_PROMPT_LANG: z.enum(["fr", "en"]).default("fr"),
  JWT_SECRET: z.string().refine((s) => new TextEncoder().encode(s).length >= 32, "must be at least 32 bytes"),
  JWT_ISSUER: z.string().min(1).default("unialist"),
  JWT_AUDIENCE: z.string().min(1).default("unialist-api"),
  ACCESS_TOKEN_TTL_SECONDS: int(900),
  REFRESH_TOKEN_TTL_SECONDS: int(30 * 24 * 3600),
  AUTH_JWKS_URL: optionalUrl,
  AUTH_ISSUER: z.string().optional().transform((v) => v || undefined),
  AUTH_AUDIENCE: z.string().optional().transform((v) => v || undefined),
  ENCRYPTION_KEYS: keyRingSchema,
  ADMIN_TOKEN: z.string().min(32),
  METRICS_TOKEN: z.string().min(16),
  KEY_ROTATION_JSON: jsonRecord,
  MESSAGE_RETENTION_DAYS: z.coerce.number().int().nonnegative().default(365),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().nonnegative().default(730),
  HIGH_COST_ALERT_EUR: z.coerce.number().nonnegative().default(5),
  INJECTION_BURST_THRESHOLD: z.coerce.number().int().positive().default(20),
  AUTH_FAILURE_BURST_THRESHOLD: z.coerce.number().int().positive().default(50),
  OUTBOX_ALERT_THRESHOLD: z.coerce.number().int().positive().default(100),
  CONSENT_VERSION: z.string().min(1).default("2026-11"),
  SLACK_WEBHOOK_URL: optionalUrl,
  EMAIL_API_URL: optionalUrl,
  EMAIL_API_KEY: optionalSecret,
  ALERT_EMAIL_TO: z.string().optional().transform((v) => v || undefined),
  /** Consecutive counting provider failures that open a provider's circuit. */
  BREAKER_FAILURE_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(5),
  /** How long an open circuit refuses calls before letting one probe through. */
  BREAKER_COOLDOWN_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** One alert per kind and subject per this window (Redis SET NX EX). */
  ALERT_DEDUPE_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(3600),
  // Rate limits (sliding window per user; requests per RATE_LIMIT_WINDOW_SECONDS) and sign-in protection.
  RATE_LIMIT_FREE: positiveInt(10, 10_000_000),
  RATE_LIMIT_BASIC: positiveInt(100, 10_000_000),
  RATE_LIMIT_PREMIUM: positiveInt(1000, 10_000_000),
  RATE_LIMIT_ENTERPRISE: positiveInt(10_000, 10_000_000),
  /** All users together, per window. */
  RATE_LIMIT_GLOBAL: positiveInt(10_000, 1_000_000_000),
  RATE_LIMIT_WINDOW_SECONDS: positiveInt(3600, 7 * 24 * 3600),
  AUTH_RATE_LIMIT_PER_IP: positiveInt(20, 1_000_000),
  AUTH_RATE_LIMIT_PER_ACCOUNT: positiveInt(10, 1_000_000),
  AUTH_RATE_LIMIT_WINDOW_SECONDS: positiveInt(900, 24 * 3600),
  /** Deadline of a guard's Redis decision (rate limit, budget); past it the guard fails closed (503). */
  GUARD_REDIS_TIMEOUT_MS: positiveInt(2000, 60_000),
  // Admission (worker/stages/admission): chat requests running the pipeline at once per isolate;
  // the others wait in a FIFO queue (bounded in size and wait), then 429 overloaded.
  ADMISSION_MAX_IN_FLIGHT: positiveInt(16, 100_000),
  ADMISSION_MAX_QUEUED: z.coerce.number().int().min(0).max(1_000_000).default(2000),
  ADMISSION_MAX_WAIT_MS: z.coerce.number().int().min(0).max(3_600_000).default(120_000),
  // Monthly budgets in EUR per tier; empty = unlimited.
  BUDGET_FREE_EUR: budgetEur(1),
  BUDGET_BASIC_EUR: budgetEur(10),
  BUDGET_PREMIUM_EUR: budgetEur(100),
  BUDGET_ENTERPRISE_EUR: budgetEur(null),
  /** A budget reservation never settled (crashed request) is released after this long. */
  BUDGET_RESERVATION_TTL_SECONDS: positiveInt(900, 24 * 3600),
  // Content moderation (worker/stages/moderation): which classifier, its rules, deadline and failure policies.
  MODERATION_PROVIDER: z.enum(["openai", "workers-ai", "off"]).default("openai"),
  /** Empty = the provider's default (omni-moderation-latest, @cf/meta/llama-guard-3-8b). */
  MODERATION_MODEL: z.string().max(100).optional().transform((v) => v || undefined),
  MODERATION_RULES_JSON: moderationRulesSetting,
  MODERATION_TIMEOUT_MS: positiveInt(1500, 30_000),
  MODERATION_INPUT_FAILURE: z.enum(["closed", "open"]).default("closed"),
  MODERATION_OUTPUT_FAILURE: z.enum(["open", "closed"]).default("open"),
  /**
   * At most this many characters of an answer are shown before being checked; a check every
   * half window. 1600: about one check per 800 characters plus the final one (each check is a
   * classifier call).
   */
  MODERATION_OUTPUT_WINDOW_CHARS: z.coerce.number().int().min(50).max(20_000).default(1600),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly keys: string[]) {
    super(`invalid configuration: ${keys.join(", ")}`);
    this.name = "ConfigError";
  }
}

const cache = new WeakMap<object, Config | ConfigError>();

/** Parses the bindings once per isolate (per env object); throws ConfigError naming keys only. */
export function loadConfig(env: object): Config {
  let parsed = cache.get(env);
  if (!parsed) {
    const result = configSchema.safeParse(env);
    parsed = result.success
      ? result.data
      : new ConfigError([...new Set(result.error.issues.map((i) => String(i.path[0] ?? "?")))].sort());
    cache.set(env, parsed);
  }
  if (parsed instanceof ConfigError) throw parsed;
  return parsed;
}
