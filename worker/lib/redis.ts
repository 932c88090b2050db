/**
 * The Upstash REST client. Stateless over HTTP, so one per isolate and config is fine.
 * Every key the Worker writes goes through `key()` so test runs and deployments can share
 * one Redis under distinct prefixes.
 */
import { Redis } from "@upstash/redis/cloudflare";
import type { Config } from "../env";

const clients = new WeakMap<Config, Redis>();

export function getRedis(config: Config): Redis {
  let client = clients.get(config);
  if (!client) {
    client = new Redis({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      // Fail fast: a guard that depends on Redis must decide quickly, not hang.
      retry: { retries: 1, backoff: () => 50 },
    }, { UPSTASH_DISABLE_TELEMETRY: "1" });
    clients.set(config, client);
  }
  return client;
}

export const redisKey = (config: Config, ...parts: string[]) => config.REDIS_KEY_PREFIX + parts.join(":");

/**
 * A cache read that never waits long: Redis copies are optimizations, so a slow or dead
 * Redis makes the read miss (the caller goes to PostgreSQL) instead of holding the request.
 */
export async function cacheRead<T>(config: Config, read: () => Promise<T | null>, timeoutMs = 500): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      read(),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), Math.min(timeoutMs, config.GUARD_REDIS_TIMEOUT_MS ?? timeoutMs));
      }),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
