/**
 * The foundation end to end inside workerd: configuration errors, /health and each of its
 * failing checks, the JSON error shape of every HTTP error, body limits, CORS and the
 * security headers. Calls with the real bindings go through the Worker's own fetch
 * (`exports.default`); calls with altered bindings go through `createApp().fetch` with a
 * fresh env object each time (loadConfig caches per env object).
 */
import { exports } from "cloudflare:workers";
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { z } from "zod";
import { validator } from "hono/validator";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../worker/app";
import { AppError } from "../../worker/errors";
import { readJson } from "../../worker/lib/json";

const worker = (exports as unknown as { default: { fetch(req: Request): Promise<Response> } }).default;
const call = (path: string, init?: RequestInit) => worker.fetch(new Request(`http://gw.test${path}`, init));

const bindings = env as unknown as Record<string, unknown>;
const app = createApp();

/** Calls a fresh app instance with the test bindings altered by `overrides`, waiting for its background work. */
async function callWith(overrides: Record<string, unknown>, path: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://gw.test${path}`, init), { ...bindings, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

type ErrorJson = { error: { code: string; message: string; requestId: string; details?: unknown } };

/** Asserts the one error shape, the request id echo, and that nothing internal leaks. */
async function expectError(res: Response, status: number, code: string): Promise<{ body: ErrorJson; text: string }> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorJson;
  expect(Object.keys(body)).toContain("error");
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  const header = res.headers.get("x-request-id");
  expect(header).toBeTruthy();
  expect(body.error.requestId).toBe(header);
  expectNoInternals(text);
  return { body, text };
}

/** No stack frames, source paths, or internal error text in anything sent to a client. */
function expectNoInternals(text: string) {
  expect(text).not.toMatch(/\bat\s+\S+\s+\(|\bat\s+(async\s+)?[\w$.<>]+\s*\(?\S*:\d+:\d+/);
  expect(text).not.toMatch(/\.(ts|js|mjs):\d+/);
  expect(text).not.toMatch(/\/work\/|node_modules|file:\/\//);
  expect(text).not.toMatch(/ECONNREFUSED|TypeError|SyntaxError|DOMException|stack/i);
}

const SECRET_KEYS = ["JWT_SECRET", "ADMIN_TOKEN", "METRICS_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MISTRAL_API_KEY", "ENCRYPTION_KEYS", "UPSTASH_REDIS_REST_TOKEN", "DATABASE_URL"];
const secretValues = () => SECRET_KEYS.map((k) => bindings[k]).filter((v): v is string => typeof v === "string" && v.length >= 8);

function captureConsole() {
  const lines: string[] = [];
  const sink = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  for (const m of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, m).mockImplementation(sink);
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe("foundation", () => {
  it("GET /health answers 200 with every check ok", async () => {
    const res = await call("/health");
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe("ok");
    expect(Object.keys(body.checks).sort()).toEqual(["durableObject", "modelEndpoint", "postgres", "redis"]);
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("unknown route is a JSON 404 with request id", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe("not_found");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("wrong method is a JSON 405 with Allow", async () => {
    const res = await call("/health", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain("GET");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
  });

  it("has bindings", () => {
    expect(env).toBeDefined();
  });
});

describe("misconfiguration: every request is a 500 misconfigured naming the key in the log only", () => {
  const cases: { name: string; key: string; value: string | undefined }[] = [
    { name: "missing JWT_SECRET", key: "JWT_SECRET", value: undefined },
    { name: "JWT_SECRET of 10 bytes", key: "JWT_SECRET", value: "tenbytes!!" },
    { name: "ENCRYPTION_KEYS nonsense", key: "ENCRYPTION_KEYS", value: "nonsense-keyring-value" },
    { name: "ENCRYPTION_KEYS undecodable base64", key: "ENCRYPTION_KEYS", value: "k1:QUJDR" },
    { name: "DATABASE_URL mysql", key: "DATABASE_URL", value: "mysql://dbuser:dbpass-123@db.internal/x" },
    { name: "UPSTASH_REDIS_REST_TOKEN too short", key: "UPSTASH_REDIS_REST_TOKEN", value: "tok" },
  ];
  const requests: [string, RequestInit | undefined][] = [
    ["/health", undefined],
    ["/nope", undefined],
    ["/api/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "hi" }) }],
    ["/api/chat", { method: "OPTIONS", headers: { origin: "http://app.test", "access-control-request-method": "POST" } }],
  ];

  for (const { name, key, value } of cases) {
    it(name, async () => {
      for (const [path, init] of requests) {
        const lines = captureConsole();
        const res = await callWith({ [key]: value }, path, init);
        const { text } = await expectError(res, 500, "misconfigured");
        vi.restoreAllMocks();
        // The client learns nothing about which setting is wrong, nor any value.
        expect(text).not.toContain(key);
        if (value) expect(text).not.toContain(value);
        // Secure headers still apply; no CORS grant on a misconfigured service.
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        expect(res.headers.get("access-control-allow-origin")).toBeNull();
        // The log names the key, never its value (nor any other secret).
        const log = lines.join("\n");
        const line = lines.find((l) => l.includes("misconfigured"));
        expect(line, log).toBeDefined();
        expect(JSON.parse(line!).invalid).toEqual([key]);
        expect(JSON.parse(line!).requestId).toBe(res.headers.get("x-request-id"));
        if (value) expect(log).not.toContain(value);
        for (const s of secretValues()) expect(log).not.toContain(s);
      }
    });
  }

  it("names every bad key in one log line", async () => {
    const lines = captureConsole();
    const res = await callWith({ JWT_SECRET: "short", DATABASE_URL: "mysql://x", ENCRYPTION_KEYS: undefined }, "/health");
    await expectError(res, 500, "misconfigured");
    vi.restoreAllMocks();
    const line = lines.find((l) => l.includes("misconfigured"));
    expect(JSON.parse(line!).invalid).toEqual(["DATABASE_URL", "ENCRYPTION_KEYS", "JWT_SECRET"]);
    expect(lines.join("\n")).not.toContain("mysql://x");
  });
});

describe("/health: each failing check is a 503 naming it, without leaking details", () => {
  const services = inject("services");
  const proxyPort = String(services.NEON_LOCAL_PROXY).split(":").pop()!;
  const bridgePort = new URL(services.UPSTASH_REDIS_REST_URL!).port;
  const modelPort = new URL(services.OPENAI_BASE_URL!).port;

  const failingDo = {
    idFromName: () => "x",
    get: () => ({
      ping: async () => {
        throw new Error("durable object down at 10.1.2.3:4444");
      },
    }),
  };
  const wrongPingDo = { idFromName: () => "x", get: () => ({ ping: async () => "nope" }) };
  const throwingNamespace = {
    idFromName: () => {
      throw new Error("namespace broken: 10.1.2.3:4444");
    },
    get: () => ({}),
  };

  const cases: { name: string; check: string; overrides: Record<string, unknown> }[] = [
    { name: "Redis unreachable", check: "redis", overrides: { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" } },
    { name: "Redis wrong token", check: "redis", overrides: { UPSTASH_REDIS_REST_TOKEN: "wrong-token-0123456789abcdef" } },
    {
      name: "Postgres database missing",
      check: "postgres",
      overrides: { DATABASE_URL: String(services.DATABASE_URL).replace(/\/[^/]+$/, "/unialist_does_not_exist") },
    },
    { name: "Postgres proxy unreachable", check: "postgres", overrides: { NEON_LOCAL_PROXY: "127.0.0.1:9" } },
    { name: "model endpoint unreachable", check: "modelEndpoint", overrides: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } },
    { name: "model endpoint rejects the API key", check: "modelEndpoint", overrides: { OPENAI_API_KEY: "sk-wrong-0123456789abcdefghij" } },
    { name: "default model not in the allowlist", check: "modelEndpoint", overrides: { DEFAULT_MODEL: "no-such-model" } },
    { name: "Durable Object throws", check: "durableObject", overrides: { CIRCUIT_BREAKER: failingDo } },
    { name: "Durable Object answers wrongly", check: "durableObject", overrides: { CIRCUIT_BREAKER: wrongPingDo } },
    { name: "Durable Object namespace throws synchronously", check: "durableObject", overrides: { CIRCUIT_BREAKER: throwingNamespace } },
  ];

  for (const { name, check, overrides } of cases) {
    it(name, async () => {
      const lines = captureConsole();
      const res = await callWith(overrides, "/health");
      const { text } = await expectError(res, 503, "service_unavailable");
      vi.restoreAllMocks();
      const body = JSON.parse(text) as ErrorJson & { status: string; failing: string[]; checks: Record<string, { ok: boolean; latencyMs: number }> };
      expect(body.status).toBe("unavailable");
      expect(body.failing).toEqual([check]);
      expect(body.error.message).toContain(check);
      for (const [k, v] of Object.entries(body.checks)) {
        expect(v.ok, k).toBe(k !== check);
        expect(Object.keys(v).sort()).toEqual(["latencyMs", "ok"]);
      }
      // No hostnames, ports, database names, credentials or error texts (the random
      // request id is left out so that its hex digits cannot match by chance).
      const scrubbed = text.replace(body.error.requestId, "");
      expect(scrubbed).not.toMatch(/127\.0\.0\.1|localhost|10\.1\.2\.3|4444|postgres:\/\/|https?:\/\//);
      for (const port of [proxyPort, bridgePort, modelPort]) expect(scrubbed).not.toContain(`:${port}`);
      expect(scrubbed).not.toMatch(/unialist_|does_not_exist|down|refused|incorrect|\b401\b|timeout|bad ping|allowlist/i);
      for (const v of Object.values(overrides)) if (typeof v === "string") expect(text).not.toContain(v);
      for (const s of secretValues()) expect(text).not.toContain(s);
      // The log names the failing check and leaks no secret either.
      const log = lines.join("\n");
      expect(lines.some((l) => l.includes("health check failed") && l.includes(check)), log).toBe(true);
      for (const s of secretValues()) expect(log).not.toContain(s);
      for (const v of Object.values(overrides)) if (typeof v === "string" && /token|key/i.test(v)) expect(log).not.toContain(v);
    });
  }

  it("a check that never answers fails by timeout, and /health still answers promptly", async () => {
    const hangingDo = { idFromName: () => "x", get: () => ({ ping: () => new Promise(() => {}) }) };
    const started = Date.now();
    const res = await callWith({ CIRCUIT_BREAKER: hangingDo }, "/health");
    const { body } = await expectError(res, 503, "service_unavailable");
    expect((body as unknown as { failing: string[] }).failing).toEqual(["durableObject"]);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it("several failing checks are all named", async () => {
    const res = await callWith({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", OPENAI_BASE_URL: "http://127.0.0.1:9/v1" }, "/health");
    const { body } = await expectError(res, 503, "service_unavailable");
    expect((body as unknown as { failing: string[] }).failing.sort()).toEqual(["modelEndpoint", "redis"]);
  });

  it("the real bindings still answer 200 afterwards (no state left by failing configs)", async () => {
    const res = await call("/health");
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe("HTTP errors share one JSON shape and never leak internals", () => {
  const limit = Number(bindings.BODY_LIMIT_BYTES ?? 65536);

  it("404 on an unknown route, any method", async () => {
    for (const [path, method] of [["/nope", "GET"], ["/api/nope", "GET"], ["/api/nope/deeper", "DELETE"], ["/", "GET"], ["/health/x", "GET"]] as const) {
      await expectError(await call(path, { method }), 404, "not_found");
    }
  });

  it("405 with Allow on a known path with the wrong method", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const res = await call("/health", { method });
      await expectError(res, 405, "method_not_allowed");
      const allow = (res.headers.get("allow") ?? "").split(",").map((s) => s.trim());
      expect(allow).toContain("GET");
      expect(allow).not.toContain(method);
    }
  });

  it("413 on a body whose Content-Length exceeds the limit, before route matching", async () => {
    const body = JSON.stringify({ pad: "x".repeat(limit + 10) });
    for (const path of ["/api/anything", "/v1/chat/completions"]) {
      const res = await call(path, { method: "POST", headers: { "content-type": "application/json" }, body });
      await expectError(res, 413, "payload_too_large");
    }
  });

  it("a body at the limit passes the limit (404 from routing, not 413)", async () => {
    const body = "x".repeat(limit);
    const res = await call("/api/anything", { method: "POST", headers: { "content-type": "application/json" }, body });
    await expectError(res, 404, "not_found");
  });

  /** An endless body without Content-Length that counts how much was pulled. */
  function endlessBody(chunk = 4096) {
    const state = { pulled: 0, cancelled: false };
    const bytes = new TextEncoder().encode("x".repeat(chunk));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        state.pulled += bytes.length;
        controller.enqueue(bytes);
      },
      cancel() {
        state.cancelled = true;
      },
    });
    return { stream, state };
  }

  it("413 on a streamed (chunked) body over the limit, without reading all of it", async () => {
    const { stream, state } = endlessBody();
    const req = new Request("http://gw.test/api/anything", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      // @ts-expect-error duplex is required by some runtimes for stream bodies
      duplex: "half",
    });
    expect(req.headers.get("content-length")).toBeNull();
    const res = await worker.fetch(req);
    await expectError(res, 413, "payload_too_large");
    // Stopped soon after the limit (allowing for buffering between the two sides).
    expect(state.pulled).toBeGreaterThan(limit);
    expect(state.pulled).toBeLessThan(limit * 8);
  });

  it("413 on a streamed body over the limit through the app directly, reading only up to the limit", async () => {
    const { stream, state } = endlessBody();
    const res = await callWith({}, "/api/anything", { method: "POST", headers: { "content-type": "application/json" }, body: stream });
    await expectError(res, 413, "payload_too_large");
    expect(state.pulled).toBeLessThanOrEqual(limit + 2 * 4096);
  });

  it("415 on a body that is not application/json under /api and /v1", async () => {
    const bodies: [string, Record<string, string>][] = [
      ["/api/x", { "content-type": "text/plain" }],
      ["/api/x", {}],
      ["/api/x", { "content-type": "application/x-www-form-urlencoded" }],
      ["/v1/chat/completions", { "content-type": "multipart/form-data; boundary=x" }],
      ["/api/x", { "content-type": "application/jsonp" }],
    ];
    for (const [path, headers] of bodies) {
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        const res = await call(path, { method, headers, body: "a=1" });
        await expectError(res, 415, "unsupported_media_type");
      }
    }
  });

  it("accepts application/json with parameters and any case; bodiless POST needs no type", async () => {
    for (const type of ["application/json; charset=utf-8", "Application/JSON"]) {
      const res = await call("/api/x", { method: "POST", headers: { "content-type": type }, body: "{}" });
      await expectError(res, 404, "not_found");
    }
    await expectError(await call("/api/x", { method: "POST" }), 404, "not_found");
    // Outside /api and /v1 the content type is not checked.
    await expectError(await call("/other", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }), 404, "not_found");
  });

  describe("with routes that read bodies and throw", () => {
    const routed = createApp();
    routed.post("/api/echo", async (c) => c.json({ size: (await c.req.text()).length }));
    routed.post("/api/validated", validator("json", (v) => v), (c) => c.json({ ok: true }));
    routed.post("/api/strict", async (c) => c.json(await readJson(c, z.object({ message: z.string() }).strict())));
    routed.get("/api/crash", () => {
      throw new Error("db password=hunter2 failed at /work/main/worker/secret.ts:12:3");
    });
    routed.get("/api/app-error", () => {
      throw new AppError("service_unavailable", undefined, { cause: new Error("redis at 10.0.0.7:6379 refused") });
    });

    async function callRouted(path: string, init?: RequestInit) {
      const ctx = createExecutionContext();
      const res = await routed.fetch(new Request(`http://gw.test${path}`, init), { ...bindings }, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    }
    const json = (body: BodyInit) => ({ method: "POST", headers: { "content-type": "application/json" }, body });

    it("a streamed body within the limit reaches the handler intact", async () => {
      const chunk = new TextEncoder().encode("y".repeat(1000));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 10) return controller.close();
          sent++;
          controller.enqueue(chunk);
        },
      });
      const res = await callRouted("/api/echo", json(stream));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ size: 10_000 });
    });

    it("a streamed body over the limit is a 413 even on a route that reads it", async () => {
      const big = new TextEncoder().encode("z".repeat(limit + 1));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(big);
          controller.close();
        },
      });
      await expectError(await callRouted("/api/echo", json(stream)), 413, "payload_too_large");
    });

    it("invalid JSON is a 400 invalid_input (hono validator and readJson)", async () => {
      for (const path of ["/api/validated", "/api/strict"]) {
        for (const bad of ["{", "{\"message\": }", "nul", "\u0000"]) {
          await expectError(await callRouted(path, json(bad)), 400, "invalid_input");
        }
      }
      const { body } = await expectError(await callRouted("/api/strict", json(JSON.stringify({ message: 1, extra: true }))), 400, "invalid_input");
      expect(JSON.stringify(body.error.details)).toContain("message");
    });

    it("an unexpected error is a generic 500 internal; its message stays in the log", async () => {
      const lines = captureConsole();
      const { text } = await expectError(await callRouted("/api/crash"), 500, "internal");
      vi.restoreAllMocks();
      expect(text).not.toMatch(/hunter2|password|secret\.ts/);
      expect(lines.some((l) => l.includes("unhandled error"))).toBe(true);
      // The logger redacts by key, not by content: the stack itself is never logged.
      expect(lines.join("\n")).not.toMatch(/\n\s+at /);
    });

    it("an AppError's cause stays on the server", async () => {
      const { text, body } = await expectError(await callRouted("/api/app-error"), 503, "service_unavailable");
      expect(text.replace(body.error.requestId, "")).not.toMatch(/10\.0\.0\.7|6379|refused/);
    });
  });
});

describe("request ids", () => {
  it("every response carries a fresh UUID that matches the body's requestId", async () => {
    const a = await call("/nope");
    const b = await call("/nope");
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
    expect(((await a.json()) as ErrorJson).error.requestId).toBe(a.headers.get("x-request-id"));
  });

  it("a malformed incoming X-Request-Id is replaced, never reflected", async () => {
    for (const bad of ["a b", "x\"><script>", "x".repeat(300), "id;drop", "é"]) {
      const res = await call("/nope", { headers: { "x-request-id": bad } }).catch(() => null);
      if (!res) continue; // a header value the runtime itself refuses
      const id = res.headers.get("x-request-id")!;
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      await res.body?.cancel();
    }
  });
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    call("/api/chat", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });

  it("a preflight from an allowed origin echoes it, with credentials", async () => {
    const res = await preflight("http://app.test");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://app.test");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect((res.headers.get("access-control-allow-headers") ?? "").toLowerCase()).toContain("authorization");
    expect(res.headers.get("vary") ?? "").toMatch(/origin/i);
  });

  it("a preflight from any other origin gets no Access-Control-Allow-Origin", async () => {
    for (const origin of ["http://evil.test", "null", "http://app.test.evil.test", "https://app.test", "http://APP.test.", ""]) {
      const res = await preflight(origin);
      const acao = res.headers.get("access-control-allow-origin");
      expect(acao, origin).toBeNull();
      await res.body?.cancel();
    }
  });

  it("simple requests: allowed origin gets ACAO and exposed headers, others none; never *", async () => {
    const ok = await call("/nope", { headers: { origin: "http://app.test" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://app.test");
    expect((ok.headers.get("access-control-expose-headers") ?? "").toLowerCase()).toContain("x-request-id");
    expect(ok.headers.get("vary") ?? "").toMatch(/origin/i);
    const evil = await call("/nope", { headers: { origin: "http://evil.test" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    const none = await call("/health");
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
    for (const r of [ok, evil, none]) {
      expect(r.headers.get("access-control-allow-origin")).not.toBe("*");
      await r.body?.cancel();
    }
  });
});

describe("security headers on every kind of response", () => {
  function expectSecureHeaders(res: Response, what: string) {
    const h = (n: string) => res.headers.get(n) ?? "";
    expect(h("x-content-type-options"), what).toBe("nosniff");
    const csp = h("content-security-policy");
    expect(csp, what).toMatch(/default-src 'none'/);
    const framing = h("x-frame-options").toUpperCase() === "DENY" || /frame-ancestors 'none'/.test(csp);
    expect(framing, what).toBe(true);
    expect(h("strict-transport-security"), what).toMatch(/max-age=\d{7,}/);
    expect(h("referrer-policy"), what).toMatch(/^(no-referrer|strict-origin|same-origin|strict-origin-when-cross-origin)$/);
    expect(res.headers.get("x-powered-by"), what).toBeNull();
  }

  it("200, 404, 405, 413, 415, preflight, 500 misconfigured, 503", async () => {
    const responses: [string, Response][] = [
      ["200", await call("/health")],
      ["404", await call("/nope")],
      ["405", await call("/health", { method: "DELETE" })],
      ["413", await call("/api/x", { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(70_000) })],
      ["415", await call("/api/x", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" })],
      ["preflight", await call("/api/x", { method: "OPTIONS", headers: { origin: "http://app.test", "access-control-request-method": "POST" } })],
      ["500", await callWith({ JWT_SECRET: undefined }, "/health")],
      ["503", await callWith({ OPENAI_BASE_URL: "http://127.0.0.1:9/v1" }, "/health")],
    ];
    for (const [what, res] of responses) {
      expectSecureHeaders(res, what);
      await res.body?.cancel();
    }
  });
});
