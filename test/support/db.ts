/** Direct database access from tests inside workerd (through the Neon driver and proxy). */
import { env } from "cloudflare:test";
import { loadConfig, type Config } from "../../worker/env";
import { openDb, type Db } from "../../worker/lib/db";

export const testConfig = (): Config => loadConfig(env);

export async function withDb<T>(fn: (db: Db) => Promise<T>, config: Config = testConfig()): Promise<T> {
  const h = openDb(config);
  try {
    return await fn(h.db);
  } finally {
    await h.end();
  }
}

/** Waits for deferred background writes (waitUntil) to land. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
