/**
 * The Hono app: cross-cutting middleware, the routes, and the one error mapping.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import "./context";
import type { AppEnv } from "./context";
import { ConfigError, loadConfig, type Config } from "./env";
import { hmacSha256Hex } from "./crypto";
import { AppError, ERROR_STATUS, defaultMessage, errorBody, type ErrorCode } from "./errors";
import { createAuditWriter } from "./lib/audit";
import { createAlerter } from "./lib/alerts";
import { getRedis } from "./lib/redis";
import { createLogger, describeError } from "./lib/log";
import { RequestScope } from "./lib/scope";
import { StageTimer } from "./lib/timing";
import { adminRoutes } from "./routes/admin";
import { authRoutes } from "./routes/auth";
import { chatRoutes } from "./routes/chat";
import { conversationRoutes } from "./routes/conversations";
import { healthRoutes } from "./routes/health";
import { meRoutes } from "./routes/me";
import { metricsRoutes } from "./routes/metrics";
import { reviewRoutes } from "./routes/reviews";
import { openaiRoutes } from "./routes/openai";

const JSON_ROUTES = /^\/(api|v1)\//;
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const corsByConfig = new WeakMap<Config, MiddlewareHandler>();
function corsFor(config: Config): MiddlewareHandler {
  let mw = corsByConfig.get(config);
  if (!mw) {
    const allowed = new Set(config.CORS_ORIGINS);
    mw = cors({
      origin: (origin) => (allowed.has(origin) ? origin : null),
      credentials: true,
      allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
      maxAge: 600,
    });
    corsByConfig.set(config, mw);
  }
  return mw;
}

const statusToCode = (status: number): ErrorCode =>
  (Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0] as ErrorCode | undefined) ??
  (status >= 500 ? "internal" : "invalid_input");

function jsonError(c: Context<AppEnv>, code: ErrorCode, message: string, status: number, headers: Record<string, string> = {}, details?: Record<string, unknown>) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json(errorBody(code, message, c.get("requestId") ?? "unknown", details), status as 400);
}

/** A database or network failure (not our bug): the client may retry, so 503, not 500. */
function isDependencyFailure(err: unknown): boolean {
  for (let e = err, i = 0; e instanceof Error && i < 5; e = e.cause, i++) {
    if (/ECONNREFUSED|Connection terminated|connection (lost|refused|timeout)|Network connection lost|too many clients|timeout exceeded when trying to connect|database .* does not exist/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Redis down: the guards fail closed, and operations hear of it. Deduplication lives in
 * Redis too, so while it is down this isolate throttles itself to one alert a minute.
 */
const lastRedisAlertAt = new WeakMap<Config, number>();
function alertRedisDown(c: Context<AppEnv>) {
  const now = Date.now();
  const config = c.get("config");
  if (now - (lastRedisAlertAt.get(config) ?? 0) < 60_000) return;
  lastRedisAlertAt.set(config, now);
  c.get("scope").defer(createAlerter({ config, redis: getRedis(config), log: c.get("log") }).send({
    kind: "redis_down", subject: "guards", severity: "critical",
    text: "Redis is unreachable: chat requests are refused with 503 (rate limits and budgets fail closed).",
  }));
}

/** The pipeline stage that answers with a given error code, for the access log. */
const STAGE_OF: Record<string, string> = {
  unauthorized: "auth", subscription_inactive: "subscription", consent_required: "consent", rate_limited: "rate-limit", overloaded: "admission",
  invalid_input: "validate", payload_too_large: "body-limit", unsupported_media_type: "content-type",
  prompt_injection: "injection", content_blocked: "moderation", budget_exceeded: "budget",
  provider_unavailable: "provider", service_unavailable: "dependency", not_found: "routing", method_not_allowed: "routing",
};

const bootLog = createLogger({ component: "worker" });

export function createApp() {
  const app = new Hono<AppEnv>();

  // Always generated here, never taken from the client: request ids are idempotency keys of
  // usage and audit rows, so a chosen one could dodge billing or hide an audit event.
  app.use(requestId({ generator: () => crypto.randomUUID(), headerName: "" }));
  app.use(async (c, next) => {
    c.header("X-Request-Id", c.get("requestId"));
    await next();
  });
  app.use(secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    crossOriginResourcePolicy: "same-site",
  }));
  app.use(async (c, next) => {
    const config = loadConfig(c.env); // throws ConfigError -> 500 misconfigured
    c.set("config", config);
    if (config.SERVER_TIMING === "on") c.set("timing", new StageTimer());
    c.set("log", createLogger({ requestId: c.get("requestId") }, config.LOG_LEVEL));
    const scope = new RequestScope(config, c.env);
    c.set("scope", scope);
    c.set("audit", createAuditWriter(scope, c.get("log"), (event) => {
      // A cut answer alerts per reason: a canary or system-prompt leak (the model was
      // manipulated) must not mute the alert of a leaked secret within the dedupe window.
      const reason = event.type === "guard.output_blocked" && typeof event.details?.reason === "string" ? event.details.reason : undefined;
      const leak = reason === "canary" || reason === "system_prompt";
      return createAlerter({ config, redis: getRedis(config), log: c.get("log") }).send({
        kind: reason && !leak ? "secret_in_output" : "security_event",
        subject: reason ? `${event.type}:${reason}` : event.type,
        severity: "critical",
        // Names and counts only: audit details never hold user text or secrets.
        text: `Critical security event ${event.type} (request ${event.requestId ?? "-"}): ${JSON.stringify(event.details ?? {}).slice(0, 300)}`,
      });
    }));
    const startedAt = Date.now();
    try {
      await next();
    } finally {
      scope.markResponded();
      // One access line per request: who (a keyed hash of the user id), which route, the
      // outcome and the time. Never the body, the query or user text.
      const user = c.get("user");
      const outcome = c.error instanceof AppError ? c.error.code : c.res.status >= 500 ? "error" : "ok";
      const line = {
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        outcome,
        stage: STAGE_OF[outcome] ?? (outcome === "ok" ? "done" : "app"),
        latencyMs: Date.now() - startedAt,
      };
      const log = c.get("log");
      // The user's keyed hash is computed after the response is handed back (not before its
      // first byte); the line is written once it is known.
      if (user) scope.defer(hmacSha256Hex(`log-user:${config.JWT_SECRET}`, user.id).then((hash) => log.info("request", { ...line, userHash: hash.slice(0, 16) })));
      else log.info("request", line);
      const settled = scope.settle();
      try {
        c.executionCtx.waitUntil(settled);
      } catch {
        // No execution context (direct app.request in unit tests): settle inline.
        await settled;
      }
    }
  });
  app.use(async (c, next) => corsFor(c.get("config"))(c, next));
  app.use(methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      jsonError(c as Context<AppEnv>, "method_not_allowed", defaultMessage("method_not_allowed"), 405, { Allow: methods.join(", ") }),
  }));
  app.use(async (c, next) => {
    const hasBody = c.req.raw.body !== null && (c.req.header("content-length") ?? "") !== "0";
    if (JSON_ROUTES.test(c.req.path) && BODY_METHODS.has(c.req.method) && hasBody) {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/json") throw new AppError("unsupported_media_type");
    }
    return bodyLimit({
      maxSize: c.get("config").BODY_LIMIT_BYTES,
      onError: () => {
        throw new AppError("payload_too_large");
      },
    })(c, next);
  });

  app.route("/", healthRoutes);
  app.route("/", metricsRoutes); // GET /metrics, Prometheus text behind METRICS_TOKEN
  app.route("/api/auth", authRoutes);
  app.route("/api/me", meRoutes);
  app.route("/api/conversations", conversationRoutes);
  app.route("/api/chat", chatRoutes);
  app.route("/v1", openaiRoutes);
  app.route("/api/admin/reviews", reviewRoutes);
  app.route("/api/admin", adminRoutes);

  app.notFound((c) => jsonError(c, "not_found", defaultMessage("not_found"), 404));

  app.onError((err, c) => {
    const log = c.get("log") ?? bootLog.child({ requestId: c.get("requestId") });
    if (err instanceof ConfigError) {
      log.error("misconfigured", { invalid: err.keys });
      return jsonError(c, "misconfigured", defaultMessage("misconfigured"), 500);
    }
    if (err instanceof AppError) {
      if (err.code === "service_unavailable" && /redis/i.test(JSON.stringify(describeError(err)))) alertRedisDown(c);
      if (err.status >= 500) log.error("request failed", { code: err.code, ...describeError(err) });
      else log.info("request refused", { code: err.code, status: err.status });
      return jsonError(c, err.code, err.message, err.status, err.headers, err.details);
    }
    if (err instanceof HTTPException) {
      const code = statusToCode(err.status);
      log.info("request refused", { code, status: err.status });
      return jsonError(c, code, defaultMessage(code), err.status);
    }
    if (isDependencyFailure(err)) {
      log.error("dependency unavailable", describeError(err));
      return jsonError(c, "service_unavailable", defaultMessage("service_unavailable"), 503);
    }
    log.error("unhandled error", describeError(err));
    return jsonError(c, "internal", defaultMessage("internal"), 500);
  });

  return app;
}
