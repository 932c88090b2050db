/**
 * The logger: redaction by key name at any depth, level filtering, one JSON line per call,
 * and it never throws (a logger that throws turns a logged error into a crash).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { REDACTED, createLogger, describeError, redact, type LogLevel } from "./log";

function capture(level: LogLevel = "debug", base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const log = createLogger(base, level, (line) => lines.push(line), () => new Date("2026-11-20T10:00:00.000Z"));
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, parsed };
}

const SECRET = "s3cr3t-VALUE-never-in-logs";

const SENSITIVE_KEYS = [
  "authorization",
  "Authorization",
  "proxy-authorization",
  "cookie",
  "Cookie",
  "set-cookie",
  "password",
  "newPassword",
  "passwd",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "secret",
  "clientSecret",
  "JWT_SECRET",
  "apiKey",
  "api_key",
  "api-key",
  "x-api-key",
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEY",
  "MISTRAL_API_KEY",
  "EMAIL_API_KEY",
  "UPSTASH_REDIS_REST_TOKEN",
  "ADMIN_TOKEN",
  "METRICS_TOKEN",
  "DATABASE_URL",
  "databaseUrl",
  "private_key",
  "privateKey",
  "key",
  "data_key",
  "credentials",
  "sessionId",
  "connectionString",
  // The key ring itself, and a webhook URL that is a bearer credential.
  "ENCRYPTION_KEYS",
  "encryption_keys",
  "keys",
  "SLACK_WEBHOOK_URL",
  "webhookUrl",
];

const SAFE_FIELDS = {
  requestId: "req-1",
  userId: "u-1",
  status: 503,
  path: "/api/chat",
  method: "POST",
  keyId: "k2",
  kekId: "kek-1",
  tokenType: "access",
  inputTokens: 12,
  outputTokens: 34,
  invalid: ["JWT_SECRET"],
  missing: ["DATABASE_URL"],
  model: "gpt-4o-mini",
  latencyMs: 12,
};

describe("redact", () => {
  for (const key of SENSITIVE_KEYS) {
    it(`redacts "${key}" at the top level, nested, and inside arrays`, () => {
      const input = {
        [key]: SECRET,
        nested: { deeper: { [key]: SECRET } },
        list: [{ [key]: SECRET }, [{ [key]: { inner: SECRET } }]],
      };
      const out = redact(input) as Record<string, any>;
      expect(out[key]).toBe(REDACTED);
      expect(out.nested.deeper[key]).toBe(REDACTED);
      expect(out.list[0][key]).toBe(REDACTED);
      expect(out.list[1][0][key]).toBe(REDACTED);
      expect(JSON.stringify(out)).not.toContain(SECRET);
    });
  }

  it("redacts a sensitive key whatever its value's type (object, array, number)", () => {
    const out = redact({ password: { plain: SECRET }, token: [SECRET, SECRET], secret: 123456789 }) as Record<string, unknown>;
    expect(out).toEqual({ password: REDACTED, token: REDACTED, secret: REDACTED });
  });

  it("keeps safe keys and values untouched, at any depth", () => {
    expect(redact(SAFE_FIELDS)).toEqual(SAFE_FIELDS);
    expect(redact({ a: { b: [SAFE_FIELDS] } })).toEqual({ a: { b: [SAFE_FIELDS] } });
  });

  it("does not modify the object it is given", () => {
    const input = { token: SECRET, nested: { password: SECRET } };
    redact(input);
    expect(input).toEqual({ token: SECRET, nested: { password: SECRET } });
  });

  it("stops at a bounded depth and survives cycles", () => {
    const cyclic: Record<string, unknown> = { name: "a" };
    cyclic.self = cyclic;
    expect(() => JSON.stringify(redact(cyclic))).not.toThrow();
    let deep: Record<string, unknown> = { token: SECRET };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    const text = JSON.stringify(redact(deep));
    expect(text).toContain("[depth]");
    expect(text).not.toContain(SECRET);
  });

  it("reduces Errors to name and message (no stack, no own properties such as a config)", () => {
    const err = Object.assign(new Error("boom"), { config: { apiKey: SECRET } });
    const out = redact({ err }) as Record<string, any>;
    expect(out.err).toEqual({ name: "Error", message: "boom" });
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(JSON.stringify(out)).not.toContain("at ");
  });
});

describe("createLogger", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes one JSON line per call, with time, level, msg, base and fields", () => {
    const { log, lines, parsed } = capture("debug", { component: "test" });
    log.info("hello", { requestId: "r1", status: 200 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    expect(parsed()[0]).toEqual({ time: "2026-11-20T10:00:00.000Z", level: "info", msg: "hello", component: "test", requestId: "r1", status: 200 });
  });

  it("redacts fields and base fields, including those of child loggers", () => {
    const { log, lines } = capture("debug", { authorization: `Bearer ${SECRET}` });
    const child = log.child({ cookie: `sid=${SECRET}`, requestId: "r2" });
    child.warn("upstream failed", {
      headers: { Authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
      env: { OPENAI_API_KEY: SECRET, DATABASE_URL: `postgres://u:${SECRET}@h/db`, ENVIRONMENT: "test" },
      users: [{ id: "u1", password: SECRET }, { id: "u2", refresh_token: SECRET }],
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    const line = JSON.parse(lines[0]!);
    expect(line.requestId).toBe("r2");
    expect(line.headers["content-type"]).toBe("application/json");
    expect(line.env.ENVIRONMENT).toBe("test");
    expect(line.users.map((u: { id: string }) => u.id)).toEqual(["u1", "u2"]);
  });

  it("filters by level", () => {
    const order: LogLevel[] = ["debug", "info", "warn", "error"];
    for (const min of order) {
      const { log, parsed } = capture(min);
      for (const lvl of order) log[lvl](`m-${lvl}`);
      expect(parsed().map((l) => l.level)).toEqual(order.slice(order.indexOf(min)));
    }
  });

  it("child loggers keep the parent's level and sink", () => {
    const { log, parsed } = capture("warn", { a: 1 });
    const child = log.child({ b: 2 });
    child.info("dropped");
    child.error("kept");
    expect(parsed()).toEqual([{ time: "2026-11-20T10:00:00.000Z", level: "error", msg: "kept", a: 1, b: 2 }]);
  });

  it("fields cannot forge the line's level, message or time", () => {
    const { log, parsed } = capture("debug");
    log.info("real message", { level: "error", msg: "forged", time: "1970-01-01T00:00:00.000Z" });
    const [line] = parsed();
    expect(line!.level).toBe("info");
    expect(line!.msg).toBe("real message");
    expect(line!.time).toBe("2026-11-20T10:00:00.000Z");
  });

  it("never throws, whatever the fields hold (BigInt, cycles, Dates, throwing getters)", () => {
    const { log, parsed } = capture("debug");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => log.info("bigint", { id: 12345678901234567890n })).not.toThrow();
    expect(() => log.info("cycle", { cyclic })).not.toThrow();
    expect(() => log.info("date", { at: new Date("2026-01-02T03:04:05.000Z") })).not.toThrow();
    const hostile = { get boom(): string { throw new Error(SECRET); } };
    expect(() => log.error("getter", { hostile })).not.toThrow();
    const lines = parsed();
    expect(lines.map((l) => l.msg)).toEqual(["bigint", "cycle", "date", "getter"]);
    expect(lines[3]!.level).toBe("error");
    expect(JSON.stringify(lines[3])).not.toContain(SECRET);
    expect(lines[0]!.id).toBe("12345678901234567890");
    expect(lines[2]!.at).toBe("2026-01-02T03:04:05.000Z");
  });

  it("writes to console.log by default", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    createLogger({}, "info").info("to console", { token: SECRET });
    expect(spy).toHaveBeenCalledTimes(1);
    const line = String(spy.mock.calls[0]![0]);
    expect(JSON.parse(line).msg).toBe("to console");
    expect(line).not.toContain(SECRET);
  });
});

describe("describeError", () => {
  it("keeps name, message and the cause chain, never the stack", () => {
    const e = new Error("outer", { cause: new TypeError("inner") });
    const d = describeError(e);
    expect(d).toEqual({ errorName: "Error", errorMessage: "outer", cause: { errorName: "TypeError", errorMessage: "inner" } });
    expect(JSON.stringify(d)).not.toMatch(/\bat \S+ \(|\.ts:\d+/);
  });

  it("handles non-Error values", () => {
    // Only the type: a thrown string may carry data.
    expect(describeError("plain")).toEqual({ error: "string" });
    expect(describeError(undefined)).toEqual({ error: "undefined" });
  });
});
