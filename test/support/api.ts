/** Helpers for integration tests inside workerd: call the Worker, sign up users. */
import { exports } from "cloudflare:workers";
import { env } from "cloudflare:test";

const worker = (exports as unknown as { default: { fetch(req: Request): Promise<Response> } }).default;

export interface CallOptions {
  method?: string;
  body?: unknown;
  rawBody?: BodyInit;
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
}

export async function call(path: string, opts: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  let body: BodyInit | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  return worker.fetch(new Request(`https://gw.test${path}`, { method: opts.method ?? (body ? "POST" : "GET"), headers, body }));
}

export async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

let counter = 0;
export const uniqueEmail = (tag = "user") => `${tag}.${Date.now().toString(36)}.${counter++}.${Math.random().toString(36).slice(2, 8)}@example.test`;
export const GOOD_PASSWORD = "Correct-Horse-Battery-42";

export function refreshCookieFrom(res: Response): string | undefined {
  const set = res.headers.getSetCookie?.() ?? [];
  const line = set.find((l) => l.startsWith("ua_refresh="));
  return line?.split(";")[0];
}

export interface TestUser {
  id: string;
  email: string;
  accessToken: string;
  cookie: string;
}

export async function signUp(email = uniqueEmail(), password = GOOD_PASSWORD): Promise<TestUser> {
  const res = await call("/api/auth/register", { body: { email, password, consent: { terms: true, version: "2026-11" } } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = await json(res);
  return { id: body.user.id, email: body.user.email, accessToken: body.accessToken, cookie: refreshCookieFrom(res)! };
}

export const adminToken = () => (env as unknown as Record<string, string>).ADMIN_TOKEN!;

export async function admin(path: string, opts: CallOptions = {}) {
  return call(`/api/admin${path}`, { ...opts, token: adminToken() });
}
