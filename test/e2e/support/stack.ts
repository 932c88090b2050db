/**
 * Starts the local stack of `npm run dev` (dev/start.ts) for one test file through the shared
 * launcher (test/support/local-stack.ts): free ports, a throwaway database, Redis key prefix,
 * state and wrangler directories, and only the demo model (no provider key is passed
 * through). `stop()` stops every process and removes everything it created.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { deleteRedisKeys, devPorts, devSettings, dropDatabase, healthProbe, PROVIDER_KEYS, ROOT, spawnDev, stackEnv } from "../../support/local-stack";

export { ROOT };

/** Model ids the e2e tests may pick with `?model=`; all served by the demo model. */
export const E2E_MODELS = {
  "gpt-4o-mini": { provider: "openai", upstream: "gpt-4o-mini", inputEurPerMillion: 0.14, outputEurPerMillion: 0.56, maxOutputTokens: 1024 },
  "demo-slow": { provider: "openai", upstream: "scenario:slow", inputEurPerMillion: 0.14, outputEurPerMillion: 0.56, maxOutputTokens: 1024 },
  "demo-xss": { provider: "openai", upstream: "scenario:xss", inputEurPerMillion: 0.14, outputEurPerMillion: 0.56, maxOutputTokens: 1024 },
} as const;

export interface Stack {
  webUrl: string;
  workerUrl: string;
  databaseUrl: string;
  logFile: string;
  /** The last lines the stack printed (for failure messages). */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startStack(opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Stack> {
  const id = randomBytes(4).toString("hex");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `unialist-e2e-${id}-`));
  const ports = await devPorts();
  const pgBase = process.env.E2E_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
  const dbName = `unialist_e2e_${id}`;
  const databaseUrl = `${pgBase}/${dbName}`;
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redisPrefix = `ua:e2e:${id}:`;

  const env = stackEnv(PROVIDER_KEYS, {
    ...devSettings(ports, tmp),
    VITE_CACHE_DIR: path.join(tmp, "vite-cache"),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    MODELS_JSON: JSON.stringify(E2E_MODELS),
    DEFAULT_MODEL: "gpt-4o-mini",
    LOG_LEVEL: "warn",
    ...opts.env,
  });

  const logFile = path.join(tmp, "dev.log");
  const log = fs.createWriteStream(logFile);
  const dev = spawnDev({ env, log });
  const webUrl = `http://127.0.0.1:${ports.webPort}`;
  const workerUrl = `http://127.0.0.1:${ports.port}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await dev.stop();
    await new Promise<void>((resolve) => log.end(() => resolve()));
    await dropDatabase(`${pgBase}/postgres`, dbName).catch((e) => console.warn(`[e2e] could not drop ${dbName}: ${e}`));
    await deleteRedisKeys(redisUrl, redisPrefix).catch((e) => console.warn(`[e2e] could not clean redis ${redisPrefix}*: ${e}`));
    if (!process.env.E2E_KEEP_LOGS) fs.rmSync(tmp, { recursive: true, force: true });
    else console.log(`[e2e] stack logs kept in ${logFile}`);
  };

  // Ready when the page is served and /health answers 200 through the web server's proxy.
  try {
    await dev.waitReady(async () => {
      const [page, health] = await Promise.all([
        fetch(`${webUrl}/`, { signal: AbortSignal.timeout(5000) }),
        healthProbe(webUrl),
      ]);
      const html = await page.text();
      return { ok: page.ok && html.includes('id="auth-view"') && health.ok, status: health.status };
    }, { timeoutMs: opts.timeoutMs ?? 150_000 });
  } catch (e) {
    await stop();
    throw e;
  }
  return { webUrl, workerUrl, databaseUrl, logFile, tail: dev.tail, stop };
}
