/**
 * A small HTTP client over node:http (no connection limit, exact control of aborts) for
 * the gateway: sign-up, admin tier changes, and POST /api/chat read as SSE.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import { mapLimit, sleep } from "./util";

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json?: any;
}

export function request(baseUrl: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpResult> {
  const url = new URL(path, baseUrl);
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (payload) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
      res.on("error", reject);
    });
    req.setTimeout(opts.timeoutMs ?? 60_000, () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 60_000} ms: ${method} ${path}`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** request() again on a 5xx or a network error (up to `attempts`, backoff 0.5 s doubling): for set-up and checks, never for measured traffic. */
export async function requestRetry(baseUrl: string, method: string, path: string, opts: Parameters<typeof request>[3] = {}, attempts = 6): Promise<HttpResult> {
  let last: HttpResult | undefined;
  let error: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      last = await request(baseUrl, method, path, opts);
      if (last.status < 500) return last;
    } catch (e) {
      error = e;
    }
    await sleep(500 * 2 ** attempt);
  }
  if (last) return last;
  throw error;
}

export interface SseEvent {
  event: string;
  data: any;
}

export interface ChatResult {
  /** HTTP status; 0 when no answer came (network error or client timeout). */
  status: number;
  /** error.code of a JSON error answer. */
  code?: string;
  requestId?: string;
  retryAfter?: string;
  events: SseEvent[];
  deltas: number;
  /** A `done` event arrived. */
  done: boolean;
  /** code of an `event: error`. */
  errorEvent?: string;
  /** We aborted the request on purpose (abortAfterDeltas). */
  abortedByClient: boolean;
  /** Network error / client timeout text. */
  failure?: string;
  sentAt: number;
  headersAt?: number;
  endAt: number;
}

export interface ChatOptions {
  model?: string;
  /** Abort the request once this many `delta` events arrived. */
  abortAfterDeltas?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

function parseBlock(block: string): SseEvent {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  const raw = data.join("\n");
  try {
    return { event, data: JSON.parse(raw) };
  } catch {
    return { event, data: raw };
  }
}

/** POST /api/chat; resolves (never rejects) once the answer ended, failed, timed out or was aborted. */
export function chat(baseUrl: string, token: string, message: string, opts: ChatOptions = {}): Promise<ChatResult> {
  const url = new URL("/api/chat", baseUrl);
  const payload = Buffer.from(JSON.stringify(opts.model ? { message, model: opts.model } : { message }));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const r: ChatResult = { status: 0, events: [], deltas: 0, done: false, abortedByClient: false, sentAt: Date.now(), endAt: 0 };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (failure?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure && !r.abortedByClient) r.failure = failure;
      r.endAt = Date.now();
      resolve(r);
    };
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": String(payload.length), accept: "text/event-stream", ...opts.headers },
    }, (res) => {
      r.status = res.statusCode ?? 0;
      r.headersAt = Date.now();
      r.requestId = res.headers["x-request-id"] as string | undefined;
      r.retryAfter = res.headers["retry-after"] as string | undefined;
      const isSse = String(res.headers["content-type"] ?? "").startsWith("text/event-stream");
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (!isSse) {
          buffer += chunk;
          return;
        }
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf("\n\n")) >= 0) {
          const ev = parseBlock(buffer.slice(0, i));
          buffer = buffer.slice(i + 2);
          r.events.push(ev);
          if (ev.event === "meta" && ev.data?.requestId) r.requestId ??= ev.data.requestId;
          if (ev.event === "delta") r.deltas++;
          if (ev.event === "done") r.done = true;
          if (ev.event === "error") r.errorEvent = ev.data?.code ?? "unknown";
          if (opts.abortAfterDeltas !== undefined && r.deltas >= opts.abortAfterDeltas && !r.abortedByClient) {
            r.abortedByClient = true;
            req.destroy();
            res.destroy();
            finish();
            return;
          }
        }
      });
      res.on("end", () => {
        if (!isSse) {
          try {
            const body = JSON.parse(buffer);
            r.code = body?.error?.code;
            r.requestId ??= body?.error?.requestId ?? body?.requestId;
          } catch {
            r.code = `non-json:${buffer.slice(0, 60)}`;
          }
        }
        finish();
      });
      res.on("error", (e) => finish(e.message));
      res.on("close", () => finish(r.abortedByClient ? undefined : "closed"));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(`client timeout after ${timeoutMs} ms`);
    }, timeoutMs);
    req.on("error", (e) => finish(e.message));
    req.end(payload);
  });
}

export interface LoadUser {
  id: string;
  email: string;
  token: string;
  tier: string;
}

export const PASSWORD = "Velours-Tramway-Orage-2026-load";

/** Registers `n` users (bounded concurrency), sets their tier through the admin API, and warms their cached profile. */
export async function createUsers(baseUrl: string, adminToken: string, n: number, tier: string, opts: { concurrency?: number; tag?: string } = {}): Promise<LoadUser[]> {
  const tag = opts.tag ?? tier;
  const run = randomBytes(3).toString("hex");
  return mapLimit(Array.from({ length: n }, (_, i) => i), opts.concurrency ?? 4, async (i) => {
    const email = `load.${tag}.${run}.${i}@example.test`;
    // Set-up must not fail on a transient 5xx (the shared PostgreSQL may be full for a moment).
    const retry = async (what: string, call: () => Promise<HttpResult>, ok: (r: HttpResult) => boolean, accept409 = false): Promise<HttpResult> => {
      let last: HttpResult | undefined;
      for (let attempt = 0; attempt < 6; attempt++) {
        last = await call();
        if (ok(last) || (last.status < 500 && !(accept409 && last.status === 409))) return last;
        if (accept409 && last.status === 409) return last;
        await sleep(500 * 2 ** attempt);
      }
      throw new Error(`${what}: ${last!.status} ${last!.body.slice(0, 200)}`);
    };
    let reg = await retry(`register ${email}`, () => request(baseUrl, "POST", "/api/auth/register", { body: { email, password: PASSWORD, consent: { terms: true, version: "2026-11" } } }), (r) => r.status === 201, true);
    if (reg.status === 409) {
      // A retried sign-up whose first attempt created the account then failed: sign in.
      reg = await retry(`login ${email}`, () => request(baseUrl, "POST", "/api/auth/login", { body: { email, password: PASSWORD } }), (r) => r.status === 200);
    }
    if (reg.status !== 201 && reg.status !== 200) throw new Error(`register ${email}: ${reg.status} ${reg.body.slice(0, 200)}`);
    const user = { id: reg.json.user.id as string, email, token: reg.json.accessToken as string, tier };
    const patched = await retry(`admin PATCH tier ${tier}`, () => request(baseUrl, "PATCH", `/api/admin/users/${user.id}`, { token: adminToken, body: { tier } }), (r) => r.status === 200);
    if (patched.status !== 200 || patched.json?.tier !== tier) throw new Error(`admin PATCH tier ${tier}: ${patched.status} ${patched.body.slice(0, 200)}`);
    // The PATCH dropped the cached profile: one authenticated call puts it back.
    const warm = await retry("GET /v1/models", () => request(baseUrl, "GET", "/v1/models", { token: user.token }), (r) => r.status === 200);
    if (warm.status !== 200) throw new Error(`GET /v1/models: ${warm.status} ${warm.body.slice(0, 200)}`);
    return user;
  });
}

/** GET /__scheduled?cron=... (wrangler dev --test-scheduled): runs the hourly cron, outbox flush included. */
export async function triggerHourlyCron(baseUrl: string): Promise<number> {
  const res = await request(baseUrl, "GET", "/__scheduled?cron=0+*+*+*+*", { timeoutMs: 60_000 });
  return res.status;
}

/** Alerts the dev alert sink received. */
export async function receivedAlerts(sinkUrl: string): Promise<{ kind: string; path: string; body: any }[]> {
  const res = await request(sinkUrl, "GET", "/__control/received");
  return Array.isArray(res.json) ? res.json : [];
}

/** Requests the demo model received (optionally only those whose body contains `contains`). */
export async function demoModelRequests(demoUrl: string, contains?: string): Promise<{ model?: string; path: string }[]> {
  const res = await request(demoUrl, "GET", `/__control/requests${contains ? `?contains=${encodeURIComponent(contains)}` : ""}`);
  return Array.isArray(res.json) ? res.json : [];
}
