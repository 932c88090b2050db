/**
 * The Upstash REST client. Stateless over HTTP, so one per isolate and config is fine.
 * Every key the Worker writes goes through `key()` so test runs and deployments can share
 * one Redis under distinct prefixes.
 */
import { Redis } from "@upstash/redis/cloudflare";
import type { Config } from "../env";

const clients = new WeakMap<Config, Redis>();

/** Budget of a cache read or write: Redis copies only save work, they must never cost much. */
export const CACHE_TIMEOUT_MS = 500;

/** The longest any single Redis REST call may take (GUARD_REDIS_TIMEOUT_MS; 2 s by default). */
export const redisCallDeadlineMs = (config: Pick<Config, "GUARD_REDIS_TIMEOUT_MS">) => config.GUARD_REDIS_TIMEOUT_MS ?? 2000;

export function getRedis(config: Config): Redis {
  let client = clients.get(config);
  if (!client) {
    const deadlineMs = redisCallDeadlineMs(config);
    client = new Redis({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      // Fail fast: a guard that depends on Redis must decide quickly, not hang.
      retry: { retries: 1, backoff: () => 50 },
      // Every call (retry included) is cancelled at the deadline. A Redis that keeps its
      // connections but answers nothing (paused, overloaded, a black-holed network) would
      // otherwise hold the request, its admission slot and its waitUntil work until Redis
      // came back. A function: one fresh signal per HTTP call, and the client then rejects
      // on abort (a plain signal would make it resolve with the result "Aborted").
      signal: () => AbortSignal.timeout(deadlineMs),
    }, { UPSTASH_DISABLE_TELEMETRY: "1" });
    clients.set(config, client);
  }
  return client;
}

export const redisKey = (config: Config, ...parts: string[]) => config.REDIS_KEY_PREFIX + parts.join(":");

/** Resolves with `fallback` after `ms` unless `work` settles first (then its value, or `fallback` if it failed). */
async function within<T>(work: () => Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(fallback), ms);
      }),
    ]);
  } catch {
    return fallback;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A cache read that never waits long: Redis copies are optimizations, so a slow or dead
 * Redis makes the read miss (the caller goes to PostgreSQL) instead of holding the request.
 */
export async function cacheRead<T>(config: Config, read: () => Promise<T | null>, timeoutMs = CACHE_TIMEOUT_MS): Promise<T | null> {
  return within(read, Math.min(timeoutMs, redisCallDeadlineMs(config)), null);
}

/**
 * A cache write on the request path, same budget as cacheRead: it is waited for at most
 * `timeoutMs` and never throws (a copy not written is only a later miss). Resolves true when
 * the write was acknowledged in time. The call itself still ends at the client's deadline.
 */
export async function cacheWrite(config: Config, write: () => Promise<unknown>, timeoutMs = CACHE_TIMEOUT_MS): Promise<boolean> {
  return within(async () => (await write(), true), Math.min(timeoutMs, redisCallDeadlineMs(config)), false);
}
