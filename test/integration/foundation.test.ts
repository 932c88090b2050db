import { exports } from "cloudflare:workers";
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const worker = exports.default as unknown as { fetch(req: Request): Promise<Response> };
const call = (path: string, init?: RequestInit) => worker.fetch(new Request(`http://gw.test${path}`, init));

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
