/**
 * loadConfig: valid bindings parse; every missing or malformed setting is a ConfigError that
 * names the key and never carries the value; results are cached per env object.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./env";

/** A fresh copy of the test bindings (loadConfig caches by object identity). */
const fresh = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({ ...env, ...overrides });

function configError(e: Record<string, unknown>): ConfigError {
  try {
    loadConfig(e);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const key32 = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));

describe("loadConfig", () => {
  it("parses the test bindings, with typed values and defaults", () => {
    const config = loadConfig(fresh());
    expect(config.ENVIRONMENT).toBe("test");
    expect(config.CORS_ORIGINS).toEqual(["http://app.test", "http://127.0.0.1:5173"]);
    expect(config.BODY_LIMIT_BYTES).toBe(65536);
    expect(config.ENCRYPTION_KEYS.map((k) => k.id)).toEqual(["k2", "k1"]);
    expect(config.ENCRYPTION_KEYS.every((k) => k.key.length === 32)).toBe(true);
    expect(config.ACCESS_TOKEN_TTL_SECONDS).toBe(900);
    // Empty optional strings become undefined rather than "" (so `if (x)` and `??` behave).
    const c2 = loadConfig(fresh({ SLACK_WEBHOOK_URL: "", AUTH_JWKS_URL: "", EMAIL_API_KEY: "" }));
    expect(c2.SLACK_WEBHOOK_URL).toBeUndefined();
    expect(c2.AUTH_JWKS_URL).toBeUndefined();
    expect(c2.EMAIL_API_KEY).toBeUndefined();
  });

  it("caches per env object: same object -> same config, new object -> parsed again", () => {
    const e = fresh();
    expect(loadConfig(e)).toBe(loadConfig(e));
    expect(loadConfig(fresh())).not.toBe(loadConfig(e));
    // A failure is cached too (the same error, not a re-parse that might differ).
    const bad = fresh({ JWT_SECRET: undefined });
    expect(configError(bad)).toBe(configError(bad));
  });

  const cases: { name: string; key: string; value: unknown }[] = [
    { name: "missing JWT_SECRET", key: "JWT_SECRET", value: undefined },
    { name: "JWT_SECRET of 10 bytes", key: "JWT_SECRET", value: "short-1234" },
    { name: "JWT_SECRET of 31 bytes", key: "JWT_SECRET", value: "x".repeat(31) },
    { name: "ENCRYPTION_KEYS nonsense", key: "ENCRYPTION_KEYS", value: "nonsense" },
    { name: "ENCRYPTION_KEYS empty", key: "ENCRYPTION_KEYS", value: "" },
    { name: "ENCRYPTION_KEYS key of 16 bytes", key: "ENCRYPTION_KEYS", value: `k1:${btoa("0123456789abcdef")}` },
    { name: "ENCRYPTION_KEYS duplicate ids", key: "ENCRYPTION_KEYS", value: `k1:${key32(1)},k1:${key32(2)}` },
    { name: "ENCRYPTION_KEYS missing id", key: "ENCRYPTION_KEYS", value: `:${key32(1)}` },
    // Passes the base64 character check but is not decodable base64 (atob throws).
    { name: "ENCRYPTION_KEYS undecodable base64 (5 chars)", key: "ENCRYPTION_KEYS", value: "k1:QUJDR" },
    { name: "ENCRYPTION_KEYS undecodable base64 (bad padding)", key: "ENCRYPTION_KEYS", value: "k1:AAAA=" },
    { name: "ENCRYPTION_KEYS with a space", key: "ENCRYPTION_KEYS", value: `k1:${key32(1)} extra` },
    { name: "DATABASE_URL mysql", key: "DATABASE_URL", value: "mysql://x" },
    { name: "missing DATABASE_URL", key: "DATABASE_URL", value: undefined },
    { name: "UPSTASH_REDIS_REST_URL not a URL", key: "UPSTASH_REDIS_REST_URL", value: "redis-secret-host" },
    { name: "UPSTASH_REDIS_REST_TOKEN too short", key: "UPSTASH_REDIS_REST_TOKEN", value: "abc" },
    { name: "ADMIN_TOKEN too short", key: "ADMIN_TOKEN", value: "admin-123" },
    { name: "METRICS_TOKEN missing", key: "METRICS_TOKEN", value: undefined },
    { name: "CORS_ORIGINS wildcard", key: "CORS_ORIGINS", value: "*" },
    { name: "CORS_ORIGINS not URLs", key: "CORS_ORIGINS", value: "app.test" },
    { name: "BODY_LIMIT_BYTES not a number", key: "BODY_LIMIT_BYTES", value: "lots" },
    { name: "LOG_LEVEL unknown", key: "LOG_LEVEL", value: "verbose" },
    { name: "ENVIRONMENT unknown", key: "ENVIRONMENT", value: "staging" },
  ];

  for (const { name, key, value } of cases) {
    it(`${name} -> ConfigError naming ${key} only, never the value`, () => {
      const err = configError(fresh({ [key]: value }));
      expect(err.keys).toEqual([key]);
      expect(err.message).toContain(key);
      if (typeof value === "string" && value.length > 0) {
        expect(err.message).not.toContain(value);
        expect(JSON.stringify({ ...err, message: err.message })).not.toContain(value);
      }
    });
  }

  it("names every bad key, sorted and without duplicates", () => {
    const err = configError(fresh({ JWT_SECRET: "short", ENCRYPTION_KEYS: "nonsense", DATABASE_URL: "mysql://x", ADMIN_TOKEN: undefined }));
    expect(err.keys).toEqual(["ADMIN_TOKEN", "DATABASE_URL", "ENCRYPTION_KEYS", "JWT_SECRET"]);
  });

  it("an empty env names all required settings and nothing optional", () => {
    const err = configError({});
    expect(err.keys).toEqual(
      ["ADMIN_TOKEN", "DATABASE_URL", "ENCRYPTION_KEYS", "JWT_SECRET", "METRICS_TOKEN", "UPSTASH_REDIS_REST_TOKEN", "UPSTASH_REDIS_REST_URL"],
    );
  });

  it("counts JWT_SECRET length in bytes (UTF-8), not characters", () => {
    // 16 characters of 2 bytes each = 32 bytes: accepted.
    expect(loadConfig(fresh({ JWT_SECRET: "é".repeat(16) })).JWT_SECRET).toBe("é".repeat(16));
    expect(configError(fresh({ JWT_SECRET: "é".repeat(15) + "x" })).keys).toEqual(["JWT_SECRET"]);
  });
});
