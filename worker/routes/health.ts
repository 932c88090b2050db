/** GET /health: Redis (Upstash REST), PostgreSQL (Neon driver), the DO, the model endpoint. */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { errorBody } from "../errors";
import { modelRegistry, providerEndpoint } from "../providers/models";
import { getRedis } from "../lib/redis";

const TIMEOUT_MS = 3000;

type Check = { ok: boolean; latencyMs: number };

async function timed(fn: () => Promise<unknown>): Promise<Check> {
  const started = Date.now();
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), TIMEOUT_MS)),
    ]);
    return { ok: true, latencyMs: Date.now() - started };
  } catch {
    return { ok: false, latencyMs: Date.now() - started };
  }
}

export const healthRoutes = new Hono<AppEnv>().get("/health", async (c) => {
  const config = c.get("config");
  const scope = c.get("scope");
  const model = modelRegistry(config).get(config.DEFAULT_MODEL);
  const [redis, postgres, durableObject, modelEndpoint] = await Promise.all([
    timed(async () => {
      if ((await getRedis(config).ping()) !== "PONG") throw new Error("bad ping");
    }),
    timed(() => scope.pool.query("select 1")),
    timed(async () => {
      const stub = c.env.CIRCUIT_BREAKER.get(c.env.CIRCUIT_BREAKER.idFromName("health")) as unknown as { ping(): Promise<string> };
      if ((await stub.ping()) !== "pong") throw new Error("bad ping");
    }),
    timed(async () => {
      if (!model) throw new Error("default model not in allowlist");
      const { baseUrl, apiKey } = providerEndpoint(config, model.provider);
      const res = await fetch(`${baseUrl.replace(/\/$/, "")}/models`, {
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`status ${res.status}`);
    }),
  ]);
  const checks = { redis, postgres, durableObject, modelEndpoint };
  const failing = Object.entries(checks).filter(([, v]) => !v.ok).map(([k]) => k);
  if (failing.length === 0) return c.json({ status: "ok", checks });
  c.get("log").warn("health check failed", { failing });
  return c.json(
    { status: "unavailable", checks, failing, ...errorBody("service_unavailable", `Failing checks: ${failing.join(", ")}`, c.get("requestId")) },
    503,
  );
});
