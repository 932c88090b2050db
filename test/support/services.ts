/** Node-side services for tests: bridge, proxy, provider double, per-run DB and key prefix. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createClient } from "redis";
import { ensureDatabase, runMigrations } from "../../db/migrate";
import { startUpstashBridge } from "../../dev/upstash-bridge";
import { startNeonProxy } from "../../dev/neon-ws-proxy";
import { startDemoModel } from "../../dev/demo-model";
import { startAlertSink } from "../../dev/alert-sink";
import { checkServices } from "../../dev/preflight";
import { startIdp } from "./idp";

export const PG_ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export const TEST_SECRETS = {
  JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcdef",
  ADMIN_TOKEN: "test-admin-token-0123456789abcdef0123456789",
  METRICS_TOKEN: "test-metrics-token-0123456789",
  OPENAI_API_KEY: "sk-test-double-0123456789abcdefghij",
  ANTHROPIC_API_KEY: "sk-ant-test-double-0123456789abcdef",
  MISTRAL_API_KEY: "mistral-test-double-0123456789abcd",
  // Two 32-byte keys: "k2" current, "k1" kept for reading.
  ENCRYPTION_KEYS: `k2:${Buffer.alloc(32, 2).toString("base64")},k1:${Buffer.alloc(32, 1).toString("base64")}`,
};

/** The test model allowlist: each scenario of the provider double is a model id. */
const price = { inputEurPerMillion: 1, outputEurPerMillion: 2, maxOutputTokens: 256 };
export const TEST_MODELS: Record<string, unknown> = {
  "gpt-4o-mini": { provider: "openai", upstream: "demo", ...price },
  "mistral-small": { provider: "mistral", upstream: "demo", ...price },
  "claude-haiku": { provider: "anthropic", upstream: "demo", ...price },
  // Breaker tests own the "anthropic" circuit: no other test uses that provider.
  "anthropic-fail": { provider: "anthropic", upstream: "scenario:fail500", ...price },
  "anthropic-ok": { provider: "anthropic", upstream: "demo", ...price, fallback: "mistral-small" },
  ...Object.fromEntries(["echo", "onechar", "slow", "fail500", "hang", "cut", "leak", "xss", "429", "harmful", "unchecked"].map((s) => [s, { provider: "openai", upstream: `scenario:${s}`, ...price }])),
};

export interface LocalServices {
  bindings: Record<string, string>;
  databaseUrl: string;
  redisUrl: string;
  doubleUrl: string;
  /** The local identity provider (JWKS + test-only signing), see ./idp.ts. */
  idpUrl: string;
  sinkUrl: string;
  stop(): Promise<void>;
}

export async function startLocalServices(runId: string): Promise<LocalServices> {
  const pgUrl = new URL(PG_ADMIN_URL);
  await checkServices({ redisUrl: REDIS_URL, databaseUrl: PG_ADMIN_URL });
  pgUrl.pathname = `/unialist_t_${runId}`;
  const databaseUrl = pgUrl.toString();
  await ensureDatabase(databaseUrl);
  await runMigrations(databaseUrl);

  const token = randomBytes(16).toString("hex");
  const bridge = await startUpstashBridge({ redisUrl: REDIS_URL, token });
  const proxy = await startNeonProxy();
  const model = await startDemoModel({ apiKeys: [TEST_SECRETS.OPENAI_API_KEY, TEST_SECRETS.ANTHROPIC_API_KEY, TEST_SECRETS.MISTRAL_API_KEY] });
  const idp = await startIdp();
  const sink = await startAlertSink({ port: 0, quiet: true });
  const prefix = `t:${runId}:`;

  const bindings: Record<string, string> = {
    ENVIRONMENT: "test",
    LOG_LEVEL: "debug",
    CORS_ORIGINS: "http://app.test,http://127.0.0.1:5173",
    UPSTASH_REDIS_REST_URL: bridge.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    REDIS_KEY_PREFIX: prefix,
    DATABASE_URL: databaseUrl,
    NEON_LOCAL_PROXY: proxy.url,
    OPENAI_BASE_URL: `${model.url}/v1`,
    ANTHROPIC_BASE_URL: `${model.url}/v1`,
    MISTRAL_BASE_URL: `${model.url}/v1`,
    MODELS_JSON: JSON.stringify(TEST_MODELS),
    SLACK_WEBHOOK_URL: `${sink.url}/slack`,
    EMAIL_API_URL: `${sink.url}/email`,
    EMAIL_API_KEY: "test-email-key-0123456789",
    ALERT_EMAIL_TO: "ops@unialist.test",
    // Every test request comes from the same (absent) IP: auth limits are tested with overrides.
    AUTH_RATE_LIMIT_PER_IP: "100000",
    // Failing scenarios of many test files share the "openai" circuit: breaker tests override this.
    BREAKER_FAILURE_THRESHOLD: "1000",
    // Bursts of 200 concurrent requests on a shared 2-core machine: a generous guard deadline.
    GUARD_REDIS_TIMEOUT_MS: "10000",
    // Hundreds of concurrent chats (load tests) make the double's /v1/moderations slower than the
    // production deadline (1.5 s, fail closed): moderation tests set MODERATION_TIMEOUT_MS themselves.
    MODERATION_TIMEOUT_MS: "10000",
    DEFAULT_MODEL: "gpt-4o-mini",
    ...TEST_SECRETS,
  };

  return {
    bindings,
    databaseUrl,
    redisUrl: REDIS_URL,
    doubleUrl: model.url,
    sinkUrl: sink.url,
    idpUrl: idp.url,
    async stop() {
      await Promise.allSettled([bridge.close(), proxy.close(), model.close(), idp.close(), sink.close()]);
      const redis = createClient({ url: REDIS_URL });
      await redis.connect();
      for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
        if (keys.length) await redis.del(keys);
      }
      await redis.quit();
      const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
      await admin.connect();
      await admin.query(`drop database if exists "unialist_t_${runId}" with (force)`);
      await admin.end();
    },
  };
}
