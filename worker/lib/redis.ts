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
