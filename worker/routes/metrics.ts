/**
 * GET /metrics: the Prometheus text exposition (version 0.0.4) of the whole deployment,
 * behind `Authorization: Bearer <METRICS_TOKEN>` compared in constant time. Counters and
 * histograms come from Redis (503 when Redis cannot answer, so the scrape fails visibly
 * rather than showing counters reset); the gauges from each provider's circuit breaker
 * (a breaker that does not answer in time is left out of this scrape).
 */
import { Hono } from "hono";
import { renderAdmissionMetrics } from "../stages/admission";
import type { AppEnv } from "../context";
import { requireBearerToken } from "../lib/bearer";
import type { BreakerSnapshot, CircuitBreaker } from "../durable/circuit-breaker";
import { describeError, type Logger } from "../lib/log";
import { guardedRedis } from "../lib/lua";
import { METRICS_CONTENT_TYPE, readStoredMetrics, renderMetrics, type BreakerGauges } from "../lib/metrics";
import { PROVIDERS } from "../providers/models";

const BREAKER_TIMEOUT_MS = 1000;

export const requireMetricsToken = () =>
  requireBearerToken("requireMetricsToken", (config) => config.METRICS_TOKEN, "Metrics", "unialist-metrics");

async function readBreakers(namespace: DurableObjectNamespace, log: Logger): Promise<Partial<Record<string, BreakerGauges>>> {
  const ns = namespace as unknown as DurableObjectNamespace<CircuitBreaker>;
  const entries = await Promise.all(PROVIDERS.map(async (provider) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const snapshot = (await Promise.race([
        Promise.resolve(ns.get(ns.idFromName(provider)).snapshot()),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("circuit breaker did not answer in time")), BREAKER_TIMEOUT_MS);
        }),
      ])) as BreakerSnapshot;
      return [provider, { state: snapshot.state, inFlight: snapshot.inFlight }] as const;
    } catch (e) {
      log.warn("metrics: circuit breaker unreadable", { provider, ...describeError(e) });
      return [provider, undefined] as const;
    } finally {
      clearTimeout(timer);
    }
  }));
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

export const metricsRoutes = new Hono<AppEnv>().get("/metrics", requireMetricsToken(), async (c) => {
  const config = c.get("config");
  const [stored, breakers] = await Promise.all([
    guardedRedis(config, "metrics read", () => readStoredMetrics(config)),
    readBreakers(c.env.CIRCUIT_BREAKER, c.get("log")),
  ]);
  const text = renderMetrics(stored, breakers);
  return c.body(`${text}${text.endsWith("\n") ? "" : "\n"}${renderAdmissionMetrics()}`, 200, { "Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store" });
});
