/**
 * The API client. The access token lives in this module's memory only (never in
 * localStorage, sessionStorage or a JS-readable cookie); the refresh token is an HttpOnly
 * cookie on /api/auth that only the browser sees. A 401 triggers one silent refresh and
 * one retry.
 */
import { readSse, type SseEvent } from "./sse";

/** "" = same origin (relative URLs); otherwise the API origin, e.g. https://api.example.com */
export const API_BASE = (import.meta.env.VITE_API_BASE ?? "").replace(/\/+$/, "");
const CREDENTIALS: RequestCredentials = API_BASE ? "include" : "same-origin";
export const CONSENT_VERSION = "2026-11";

export interface User {
  id: string;
  email: string;
  tier: string;
}

export interface Me extends User {
  subscriptionActive: boolean;
  limits: { requestsPerHour: number; budgetEur: number | null };
  usage: { requestsThisHour: number; costThisMonthEur: number };
  budget?: { warning?: boolean; blocked?: boolean };
}

export interface ConversationSummary {
  id: string;
  title: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StoredMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  createdAt: string;
  withdrawn: boolean;
  flagged: boolean;
}

export interface Conversation extends ConversationSummary {
  messages: StoredMessage[];
}

/** An API refusal or a transport failure, with a machine code the UI turns into words. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly requestId?: string,
    readonly details?: Record<string, unknown>,
    /** For 429: when the limit resets (ms since epoch). */
    readonly resetAt?: number,
  ) {
    super(code);
    this.name = "ApiError";
  }
}

let accessToken: string | null = null;
let currentUser: User | null = null;
let refreshing: Promise<boolean> | null = null;
let onSessionLost: (() => void) | null = null;

export const getUser = (): User | null => currentUser;
export const isSignedIn = (): boolean => accessToken !== null;
export function setSessionLostHandler(fn: () => void): void {
  onSessionLost = fn;
}

function clearSession(): void {
  accessToken = null;
  currentUser = null;
}

const url = (path: string) => `${API_BASE}${path}`;

function statusCode(status: number): string {
  if (status === 401) return "unauthorized";
  if (status === 402) return "subscription_inactive";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 413) return "payload_too_large";
  if (status === 429) return "rate_limited";
  if (status === 503) return "service_unavailable";
  return status >= 500 ? "internal" : "invalid_input";
}

/** When a 429 lifts: X-RateLimit-Reset (ms epoch, or s epoch), else now + Retry-After. */
export function resetTime(headers: Headers, now = Date.now()): number | undefined {
  const reset = Number(headers.get("x-ratelimit-reset"));
  if (Number.isFinite(reset) && reset > 0) {
    const ms = reset < 1e12 ? reset * 1000 : reset;
    if (ms > now - 1000 && ms < now + 32 * 24 * 3600 * 1000) return ms;
  }
  const retryAfter = headers.get("retry-after");
  if (retryAfter) {
    const secs = Number(retryAfter);
    if (Number.isFinite(secs) && secs >= 0) return now + secs * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return date;
  }
  return undefined;
}

/** Reads an error response without ever exposing its raw body. */
async function toApiError(res: Response): Promise<ApiError> {
  let code = statusCode(res.status);
  let requestId = res.headers.get("x-request-id") ?? undefined;
  let details: Record<string, unknown> | undefined;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; requestId?: unknown; details?: unknown } };
    if (body?.error && typeof body.error.code === "string" && /^[a-z_]{1,64}$/.test(body.error.code)) code = body.error.code;
    if (typeof body?.error?.requestId === "string") requestId = body.error.requestId.slice(0, 100);
    if (body?.error?.details && typeof body.error.details === "object") details = body.error.details as Record<string, unknown>;
  } catch {
    // not JSON: the status decides
  }
  return new ApiError(code, res.status, requestId, details, res.status === 429 ? resetTime(res.headers) : undefined);
}

/** Requests other than the chat stream give up after this long (a hung server). */
const TIMEOUT_MS = 20_000;
/** A chat stream with no event for this long is given up. */
const STREAM_IDLE_MS = 45_000;

async function send(path: string, init: RequestInit, timeoutMs: number | null = TIMEOUT_MS): Promise<Response> {
  const signals = [init.signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : null].filter((s): s is AbortSignal => !!s);
  try {
    return await fetch(url(path), { ...init, signal: signals.length ? AbortSignal.any(signals) : undefined, credentials: CREDENTIALS, cache: "no-store" });
  } catch (e) {
    if ((e as Error)?.name === "AbortError" && init.signal?.aborted) throw e;
    throw new ApiError("network", 0);
  }
}

interface SessionBody {
  user: User;
  accessToken: string;
  expiresIn: number;
}

function acceptSession(body: SessionBody): User {
  accessToken = body.accessToken;
  currentUser = body.user;
  return body.user;
}

/** Silent refresh with the HttpOnly cookie; concurrent callers share one request. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const res = await send("/api/auth/refresh", { method: "POST" });
      if (!res.ok) {
        clearSession();
        return false;
      }
      acceptSession((await res.json()) as SessionBody);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

interface CallOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
  /** A streamed answer: no overall timeout (the user can stop it). */
  stream?: boolean;
}

/**
 * An authenticated call. On 401: one silent refresh, then one retry. If the refresh fails
 * the session is gone ("session_expired"); if the retry still answers 401 with a fresh
 * token, the refusal is about something else (e.g. a wrong password) and is returned as is.
 */
export async function call(path: string, opts: CallOptions = {}): Promise<Response> {
  const attempt = () => {
    const headers: Record<string, string> = { Accept: opts.accept ?? "application/json" };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    return send(path, {
      method: opts.method ?? "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    }, opts.stream ? null : TIMEOUT_MS);
  };
  let res = await attempt();
  if (res.status === 401) {
    if (!(await refresh())) {
      clearSession();
      onSessionLost?.();
      throw new ApiError("session_expired", 401);
    }
    res = await attempt();
  }
  if (!res.ok) throw await toApiError(res);
  return res;
}

async function callJson<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const res = await call(path, opts);
  return (await res.json()) as T;
}

// --- auth ---------------------------------------------------------------------------

async function authRequest(path: string, body: unknown): Promise<User> {
  const res = await send(path, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw await toApiError(res);
  return acceptSession((await res.json()) as SessionBody);
}

export const register = (email: string, password: string) =>
  authRequest("/api/auth/register", { email, password, consent: { terms: true, version: CONSENT_VERSION } });

export const login = (email: string, password: string) => authRequest("/api/auth/login", { email, password });

export async function logout(): Promise<void> {
  try {
    await send("/api/auth/logout", { method: "POST" });
  } catch {
    // signed out locally anyway
  } finally {
    clearSession();
  }
}

// --- account ----------------------------------------------------------------------------

export const getMe = () => callJson<Me>("/api/me");

export interface ExportFile {
  blob: Blob;
  filename: string;
}

/** A safe download name from Content-Disposition, or the default. */
export function filenameFrom(disposition: string | null, fallback = "unialist-export.json"): string {
  if (!disposition) return fallback;
  let name: string | undefined;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
  if (star) {
    try {
      name = decodeURIComponent(star[1]!.trim());
    } catch {
      name = undefined;
    }
  }
  name ??= /filename\s*=\s*"([^"]*)"/.exec(disposition)?.[1] ?? /filename\s*=\s*([^;\s]+)/.exec(disposition)?.[1];
  name = name?.replace(/[\\/:*?"<>|\u0000-\u001f]/g, "_").replace(/^\.+/, "").slice(0, 120);
  return name || fallback;
}

export async function exportData(): Promise<ExportFile> {
  const res = await call("/api/me/export", { accept: "application/json" });
  return { blob: await res.blob(), filename: filenameFrom(res.headers.get("content-disposition")) };
}

export async function deleteAccount(password: string): Promise<unknown> {
  const res = await call("/api/me", { method: "DELETE", body: { password } });
  let receipt: unknown = null;
  try {
    receipt = ((await res.json()) as { receipt?: unknown }).receipt ?? null;
  } catch {
    // 204 or no body
  }
  await logout();
  return receipt;
}

// --- conversations -----------------------------------------------------------------------

export function listConversations(cursor?: string, limit = 30) {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set("cursor", cursor);
  return callJson<{ conversations: ConversationSummary[]; nextCursor: string | null }>(`/api/conversations?${q}`);
}

export const getConversation = (id: string) => callJson<Conversation>(`/api/conversations/${encodeURIComponent(id)}`);

export const renameConversation = (id: string, title: string) =>
  callJson<{ id: string; title: string }>(`/api/conversations/${encodeURIComponent(id)}`, { method: "PATCH", body: { title } });

export async function deleteConversation(id: string): Promise<void> {
  await call(`/api/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
}

// --- chat --------------------------------------------------------------------------------

export interface ChatMeta {
  conversationId: string;
  requestId: string;
  model: string;
  aiDisclosure?: string;
  disclaimer?: string;
}

export interface ChatDone {
  usage: { inputTokens: number; outputTokens: number };
  costEur: number;
  finishReason: string;
}

export interface ChatHandlers {
  onMeta(meta: ChatMeta): void;
  onDelta(text: string): void;
  onDone(done: ChatDone): void;
}

function parseData<T>(ev: SseEvent): T | null {
  try {
    return JSON.parse(ev.data) as T;
  } catch {
    return null;
  }
}

/**
 * POST /api/chat and read its event stream. Refusals before the stream (JSON errors) and
 * `event: error` both end as an ApiError; a stream that ends without `done` is "interrupted".
 */
export async function chat(
  body: { message: string; conversationId?: string; model?: string },
  handlers: ChatHandlers,
  signal: AbortSignal,
): Promise<void> {
  const res = await call("/api/chat", { method: "POST", body, signal, accept: "text/event-stream", stream: true });
  if (!res.body || !(res.headers.get("content-type") ?? "").includes("text/event-stream")) throw new ApiError("internal", res.status);
  let requestId = res.headers.get("x-request-id") ?? undefined;
  // A stream that goes silent (server restarted, network gone) ends as "interrupted".
  const idle = new AbortController();
  let idleTimer = 0;
  const touch = () => {
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(() => idle.abort(), STREAM_IDLE_MS);
  };
  touch();
  try {
    for await (const ev of readSse(res.body, AbortSignal.any([signal, idle.signal]))) {
      touch();
      if (ev.event === "meta") {
        const meta = parseData<ChatMeta>(ev);
        if (meta) {
          requestId = meta.requestId ?? requestId;
          handlers.onMeta(meta);
        }
      } else if (ev.event === "delta") {
        const d = parseData<{ text?: unknown }>(ev);
        if (d && typeof d.text === "string") handlers.onDelta(d.text);
      } else if (ev.event === "done") {
        const done = parseData<ChatDone>(ev);
        if (done) handlers.onDone(done);
        return;
      } else if (ev.event === "error") {
        const e = parseData<{ code?: unknown; error?: { code?: unknown } }>(ev);
        const code = typeof e?.code === "string" ? e.code : typeof e?.error?.code === "string" ? e.error.code : "internal";
        throw new ApiError(/^[a-z_]{1,64}$/.test(code) ? code : "internal", 200, requestId);
      }
    }
  } finally {
    window.clearTimeout(idleTimer);
  }
  if (signal.aborted) throw new DOMException("aborted", "AbortError");
  throw new ApiError("interrupted", 200, requestId);
}
